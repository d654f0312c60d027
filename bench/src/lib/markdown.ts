import type { BenchResult, Figure } from './result.js';
import type { Machine } from './machine.js';

/** Integers get thousands separators; small figures keep what precision they carry. */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function ratio(f: Figure): string {
  if (!f.baseline || !Number.isFinite(f.baseline.value) || f.baseline.value === 0 || !Number.isFinite(f.value)) return '–';
  return `${(f.value / f.baseline.value).toFixed(2)}×`;
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderTable(figures: readonly Figure[]): string {
  const lines = ['| figure | value | baseline (same run) | baseline value | ours ÷ baseline | target |', '| --- | ---: | --- | ---: | ---: | --- |'];
  for (const f of figures) {
    lines.push(
      `| ${cell(f.label)} | ${fmtValue(f.value)} ${cell(f.unit)} | ${cell(f.baseline?.label ?? '–')} | ${f.baseline ? `${fmtValue(f.baseline.value)} ${cell(f.unit)}` : '–'} | ${ratio(f)} | ${cell(f.target ?? '')} |`,
    );
  }
  return lines.join('\n');
}

export function renderResult(r: BenchResult): string {
  const params = Object.entries(r.params).map(([k, v]) => `${k} = ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
  const parts = [`## ${r.title}`, '', `Command: \`${r.command}\` (${(r.durationMs / 1000).toFixed(0)} s, started ${r.startedAt})`, ''];
  if (params.length) parts.push(`Parameters: ${params.join('; ')}.`, '');
  for (const t of r.tables) parts.push(`### ${t.title}`, '', renderTable(t.figures), '');
  if (r.raw) parts.push('Output of the benchmark script:', '', r.raw.trim(), '');
  if (r.notes.length) parts.push(...r.notes.map((n) => `- ${n}`), '');
  return parts.join('\n');
}

export function renderMachine(m: Machine): string {
  return [
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${cell(m.cpuModel)} |`,
    `| cores (logical) | ${m.cores} |`,
    `| memory | ${m.memoryGb} GiB |`,
    `| OS | ${cell(m.os)} |`,
    `| load average at start (1/5/15 min) | ${m.loadAvg} |`,
    ...(m.steal === undefined ? [] : [`| CPU time stolen by the hypervisor during the run | ${m.steal} |`]),
    ...Object.entries(m.versions).map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`),
  ].join('\n');
}

export function renderReport(opts: { results: readonly BenchResult[]; failures: readonly { bench: string; error: string }[]; machine: Machine; command: string; date: string }): string {
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`${opts.command}\` on ${opts.date}. Every figure sits next to a baseline measured in the same run on the same machine; "ours ÷ baseline" is the plain ratio (above 1 is more throughput, or more latency).`,
    '',
    renderMachine(opts.machine),
    '',
  ];
  for (const r of opts.results) parts.push(renderResult(r));
  if (opts.failures.length) {
    parts.push('## Benchmarks that failed in this run', '');
    for (const f of opts.failures) parts.push(`- **${f.bench}**: ${cell(f.error)}`);
    parts.push('');
  }
  return parts.join('\n');
}

export const SUITE_BEGIN = '<!-- suite run: written by npm run bench -->';
export const SUITE_END = '<!-- end of the suite run; what follows is kept by npm run bench -->';

/**
 * The report file after a suite run: the run replaces what lies between the markers and keeps the
 * rest (runs made by hand, older suites that the docs cite as evidence). A file without the
 * markers gets the run on top and keeps all it had below.
 */
export function spliceReport(existing: string | undefined, report: string): string {
  const block = `${SUITE_BEGIN}\n${report.trimEnd()}\n${SUITE_END}\n`;
  if (existing === undefined || existing.trim() === '') return block;
  const begin = existing.indexOf(SUITE_BEGIN);
  const end = existing.indexOf(SUITE_END);
  if (begin === -1 || end < begin) return `${block}\n${existing}`;
  return existing.slice(0, begin) + block + existing.slice(end + SUITE_END.length).replace(/^\n/, '');
}
