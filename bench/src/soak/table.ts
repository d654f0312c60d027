/** One window (a minute by default) of the soak. */
export interface SoakRow {
  minute: number;
  eventsPerSec: number;
  ingestP50: number;
  ingestP99: number;
  queryP50: number;
  queryP99: number;
  errors: number;
  /** Process label → RSS in MiB at the end of the window. */
  rssMb: Record<string, number>;
}

/** RSS may grow this much (first → last window) and still count as flat: caches and pools fill early. */
export const RSS_FLAT_GROWTH = 0.25;
/** Ingest p99 may grow this much (first → last window) and still count as flat. */
export const P99_FLAT_RATIO = 2;

export interface Flatness {
  flat: boolean;
  /** Fewer than two windows: nothing to compare, so never called flat. */
  tooShort: boolean;
  rssGrowth: Record<string, number>;
  ingestP99Ratio: number;
  queryP99Ratio: number;
}

/** Windows at the start left out of the comparison: caches, pools and JetStream's buffers fill first. */
export const WARMUP_SHARE = 0.1;
/** Share of the (post-warm-up) windows compared at each end. */
export const SEGMENT_SHARE = 0.25;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * Compares the late windows to the early ones, after a warm-up: RSS by the highest value of each
 * segment (growth is what a leak shows), p99 by each segment's median (one window's p99 on a
 * shared machine is one spike). With two windows that is simply the last against the first.
 */
export function flatness(rows: readonly SoakRow[]): Flatness {
  if (rows.length === 0) return { flat: false, tooShort: true, rssGrowth: {}, ingestP99Ratio: Number.NaN, queryP99Ratio: Number.NaN };
  const warm = rows.length >= 10 ? rows.slice(Math.floor(rows.length * WARMUP_SHARE)) : rows;
  const n = Math.max(1, Math.floor(warm.length * SEGMENT_SHARE));
  const early = warm.slice(0, n);
  const late = warm.slice(-n);
  const rssGrowth: Record<string, number> = {};
  for (const k of Object.keys(late[0]?.rssMb ?? {})) {
    const before = Math.max(...early.map((r) => r.rssMb[k] ?? 0));
    const after = Math.max(...late.map((r) => r.rssMb[k] ?? 0));
    if (before > 0) rssGrowth[k] = (after - before) / before;
  }
  const ingestP99Ratio = median(late.map((r) => r.ingestP99)) / median(early.map((r) => r.ingestP99));
  const queryP99Ratio = median(late.map((r) => r.queryP99)) / median(early.map((r) => r.queryP99));
  const tooShort = rows.length < 2;
  const flat = !tooShort && Object.values(rssGrowth).every((g) => g <= RSS_FLAT_GROWTH) && !(ingestP99Ratio > P99_FLAT_RATIO) && !(queryP99Ratio > P99_FLAT_RATIO);
  return { flat, tooShort, rssGrowth, ingestP99Ratio, queryP99Ratio };
}

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

export function renderSoak(o: { rows: readonly SoakRow[]; flat: Flatness; command: string; date: string; rate: number; maxRate?: number; acked: number; counted: number }): string {
  const procs = Object.keys(o.rows[0]?.rssMb ?? {});
  const out = [
    '## Soak',
    '',
    `Command: \`${o.command}\` (${o.date}). Rate ${Math.round(o.rate).toLocaleString('en-US')} events/s${o.maxRate ? ` = 50 % of the ${Math.round(o.maxRate).toLocaleString('en-US')} events/s measured as the maximum (closed loop) just before` : ' (--rate)'}; ` +
      `${o.acked.toLocaleString('en-US')} events answered 202, ${o.counted.toLocaleString('en-US')} counted by \`/v1/query\`. Ingest latency: request → 202; query latency: a cache-missing \`events\` report.`,
    '',
    `| minute | events/s | ingest p50 ms | ingest p99 ms | query p50 ms | query p99 ms | errors | ${procs.map((p) => `RSS ${p} MiB`).join(' | ')} |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ${procs.map(() => '---:').join(' | ')} |`,
  ];
  for (const r of o.rows) out.push(`| ${r.minute} | ${Math.round(r.eventsPerSec)} | ${f1(r.ingestP50)} | ${f1(r.ingestP99)} | ${f1(r.queryP50)} | ${f1(r.queryP99)} | ${r.errors} | ${procs.map((p) => String(r.rssMb[p] ?? '–')).join(' | ')} |`);
  const growth = Object.entries(o.flat.rssGrowth).map(([k, g]) => `${k} ${(g * 100).toFixed(0)} %`).join(', ');
  out.push(
    '',
    `Verdict: **${o.flat.tooShort ? 'too short to judge' : o.flat.flat ? 'flat' : 'NOT flat'}** (late windows against early ones, after a ${WARMUP_SHARE * 100} % warm-up, a quarter at each end; highest RSS, median p99: RSS ${growth || '–'}; ingest p99 ×${f1(o.flat.ingestP99Ratio)}, query p99 ×${f1(o.flat.queryP99Ratio)}; flat means RSS growth ≤ ${RSS_FLAT_GROWTH * 100} % and p99 ≤ ×${P99_FLAT_RATIO}).${o.flat.tooShort ? ' One window only: run longer (the default is 60 minutes) to see drift.' : ''}`,
    '',
  );
  return out.join('\n');
}
