import type { BenchTable, Figure } from './result.js';

/** JSON objects a benchmark script prints one per line on stderr among its other output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{') || !t.endsWith('}')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // Not one of the result lines (a log line that happens to start with a brace).
    }
  }
  return out;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN);

/**
 * edge-collector/bench/run.mjs rows: {target, scenario, rps, eps, p50, p99, non202, rss}; targets
 * bare (the machine's ceiling), baseline (node:http collector), uws and bun (ours); with --paced,
 * rows of scenario "<scenario> @80%" hold the latency at that fraction of each target's maximum.
 */
export function collectorTables(rows: readonly Record<string, unknown>[]): BenchTable[] {
  const tables: BenchTable[] = [];
  // Paced runs ("<scenario> @80%", from --paced) are figures of their scenario, not scenarios.
  const scenarios = [...new Set(rows.map((r) => String(r['scenario'])))].filter((s) => !s.includes(' @'));
  for (const scenario of scenarios) {
    const of = (target: string, sc = scenario) => rows.find((r) => r['scenario'] === sc && r['target'] === target);
    const pacedName = [...new Set(rows.map((r) => String(r['scenario'])))].find((s) => s.startsWith(`${scenario} @`));
    const base = of('baseline');
    const bare = of('bare');
    const figures: Figure[] = [];
    for (const ours of ['uws', 'bun']) {
      const r = of(ours);
      if (!r) continue;
      const name = ours === 'uws' ? 'ours on uWS (Node)' : 'ours on Bun';
      const vs = (field: string, label: string, unit: string, target?: string): void => {
        const b = base ? { baseline: { label: 'node:http collector', value: num(base[field]) } } : {};
        figures.push({ label: `${name}: ${label}`, value: num(r[field]), unit, ...b, ...(target ? { target } : {}) });
      };
      vs('eps', 'events/s acked by JetStream', 'events/s', scenario === 'batch100' ? '≥ 500,000 and ≥ 2× node:http' : '≥ 2× node:http');
      vs('rps', 'requests/s', 'req/s', scenario === 'beacon' ? '≥ 30,000 and ≥ 2× node:http' : undefined);
      if (bare) figures.push({ label: `${name}: requests/s vs the bare server`, value: num(r['rps']), unit: 'req/s', baseline: { label: 'bare server (reads body, answers)', value: num(bare['rps']) }, ...(scenario === 'beacon' ? { target: '≥ 0.5× bare' } : {}) });
      vs('p50', 'p50 latency', 'ms');
      vs('p99', 'p99 latency (at full load)', 'ms');
      const paced = pacedName ? of(ours, pacedName) : undefined;
      if (pacedName && paced) {
        const fraction = pacedName.slice(pacedName.indexOf('@') + 1);
        const basePaced = of('baseline', pacedName);
        figures.push({
          // wrk's delay() pacing lands below the aim under load: say what was reached.
          label: `${name}: p99 latency paced at ${fraction} of its maximum (reached ${num(paced['rps']).toLocaleString('en-US')} req/s, ${Math.round((num(paced['rps']) / num(r['rps'])) * 100)}%)`,
          value: num(paced['p99']),
          unit: 'ms',
          ...(basePaced ? { baseline: { label: `node:http collector at ${fraction} of its maximum`, value: num(basePaced['p99']) } } : {}),
          target: '≤ 20',
        });
      }
      vs('rss', 'peak RSS', 'MB', '< 300');
    }
    tables.push({ title: `Scenario \`${scenario}\``, figures });
  }
  return tables;
}

/** sdk-node/bench/run.mjs rows: {sdk, eventsPerSec, cpuUsPerEvent, peakRssMb, received, ...}. */
export function sdkTables(rows: readonly Record<string, unknown>[]): BenchTable[] {
  const ours = rows.find((r) => r['sdk'] === 'pulse');
  if (!ours) return [];
  const figures: Figure[] = [];
  for (const other of rows.filter((r) => r !== ours && typeof r['sdk'] === 'string' && !String(r['sdk']).startsWith('pulse'))) {
    const label = other['sdk'] === 'segment' ? '@segment/analytics-node' : other['sdk'] === 'posthog' ? 'posthog-node' : String(other['sdk']);
    figures.push(
      { label: `events/s vs ${label}`, value: num(ours['eventsPerSec']), unit: 'events/s', baseline: { label, value: num(other['eventsPerSec']) }, target: '≥ 3×' },
      { label: `CPU per event vs ${label}`, value: num(ours['cpuUsPerEvent']), unit: 'µs', baseline: { label, value: num(other['cpuUsPerEvent']) } },
      { label: `peak RSS vs ${label}`, value: num(ours['peakRssMb']), unit: 'MB', baseline: { label, value: num(other['peakRssMb']) }, target: '≤ 0.5×' },
    );
  }
  return figures.length ? [{ title: '@pulse/sdk-node against the two reference SDKs, same events, same sink', figures }] : [];
}
