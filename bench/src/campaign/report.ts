import type { CampaignSummary } from './run.js';

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const n = (v: number): string => v.toLocaleString('en-US');

/** A section for docs/RELIABILITY.md: what was sent, what came back, what was counted. */
export function renderCampaign(s: CampaignSummary, ctx: { command: string; date: string; runtime: string }): string {
  const out: string[] = [
    '## Bad-input campaign',
    '',
    `Command: \`${ctx.command}\` (${ctx.date}, ${(s.durationMs / 1000).toFixed(0)} s, seed ${s.seed}, collector on ${ctx.runtime}). Result: **${s.ok ? 'passed' : 'FAILED'}**.`,
    '',
    `${n(s.hostile.sent)} hostile requests over HTTP (${n(s.hostile.collector)} to the collector, ${n(s.hostile.query)} to the query API, ${n(s.hostile.perSecond)}/s), ` +
      `${n(Object.values(s.raw).reduce((a, m) => a + Object.values(m).reduce((b, c) => b + c, 0), 0))} raw-socket requests with framing fetch will not write, and ${s.slow.length} slow clients, ` +
      `while valid traffic ran: ${n(s.valid.acknowledged)} valid events answered 202, ${n(s.valid.counted)} counted by \`/v1/query\` (${s.valid.retries} retries of 429/503).`,
    '',
    '| check | result |',
    '| --- | --- |',
    `| no process crashed (collector and query API answer /healthz during and after) | ${s.health.collectorUpAtEnd && s.health.queryUpAtEnd && s.health.failed === 0 ? 'yes' : 'NO'} (${s.health.checks} checks during the run, ${s.health.failed} failed) |`,
    `| no 5xx to a hostile request | ${s.findings.server_error ? `NO: ${s.findings.server_error.count}` : 'yes'}${s.overload503 ? `; ${n(s.overload503)} × 503 \`overloaded\` (the collector shedding load, allowed)` : ''} |`,
    `| 5xx from the runtime's HTTP parser to raw unparseable HTTP (before any Pulse code runs) | ${s.findings.parser_5xx ? `${s.findings.parser_5xx.count} (listed below)` : 'none'} |`,
    `| plain-text 414/431 from the runtime's HTTP server (request line or header block over its limit, before any Pulse code runs) | ${s.findings.parser_plain_4xx ? `${s.findings.parser_plain_4xx.count} (listed below)` : 'none'} |`,
    `| every refusal a 4xx with \`{error:{code,message}}\` | ${s.findings.not_json_error ? `NO: ${s.findings.not_json_error.count}` : 'yes'} |`,
    `| no hostile request accepted where it must not be | ${s.findings.unexpected_accept ? `NO: ${s.findings.unexpected_accept.count}` : 'yes'} |`,
    `| every well-formed request answered | ${s.findings.no_response ? `NO: ${s.findings.no_response.count}` : 'yes'} |`,
    `| every valid event answered 202 counted exactly once | ${s.valid.counted === s.valid.acknowledged && s.valid.failures.length === 0 ? 'yes' : 'NO'} (${n(s.valid.acknowledged)} acknowledged, ${n(s.valid.counted)} counted) |`,
    '',
    '### Answers by kind of input',
    '',
    '| input | target | sent | answers (status code × count) |',
    '| --- | --- | ---: | --- |',
  ];
  for (const [fam, f] of Object.entries(s.families).sort(([a], [b]) => a.localeCompare(b))) {
    const answers = Object.entries(f.statuses).sort(([, a], [, b]) => b - a).map(([k, c]) => `${k} × ${n(c)}`).join(', ');
    out.push(`| ${cell(fam)} | ${f.target} | ${n(f.sent)} | ${cell(answers)} |`);
  }
  out.push('', '### Raw-socket requests', '', '| request | answers |', '| --- | --- |');
  for (const [name, m] of Object.entries(s.raw)) out.push(`| ${cell(name)} | ${cell(Object.entries(m).map(([k, c]) => `${k} × ${c}`).join(', '))} |`);
  out.push('', '### Slow clients (one byte every 250 ms)', '', '| client | outcome |', '| --- | --- |');
  for (const c of s.slow) out.push(`| ${c.name} | ${c.closedByServer ? `cut off by the server after ${(c.ms / 1000).toFixed(1)} s${c.status ? ` with ${c.status} ${c.code}` : ' (no answer)'}` : `still open when the client gave up after ${(c.ms / 1000).toFixed(0)} s`} |`);
  if (s.failures.length) out.push('', '### Failures', '', ...s.failures.map((f) => `- ${cell(f)}`));
  for (const [kind, f] of Object.entries(s.findings)) {
    out.push('', `### Finding: ${kind} (${f.count})`, '', 'Inputs (replayable; binary bodies as base64):', '', '```json', ...f.examples.slice(0, 5).map((e) => JSON.stringify(e)), '```');
  }
  out.push('');
  return out.join('\n');
}
