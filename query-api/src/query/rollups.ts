import type { SchemaInfo } from '../schema-probe.js';
import { bucketsBetween, type TimeUnit } from '../time/zone.js';
import { isTimeDimension, type MetricName } from './catalog.js';
import { MAX_TIME_BUCKETS, type QueryPlan, type Range } from './plan.js';
import { EVENTS_TABLE, Params, chDateTime, filterOn, groupTail, timeBucketExpr, type BuildOptions, type BuiltQuery } from './sql.js';

/**
 * The aggregator's rollup tables (aggregator/src/storage/schema-rollups.ts): `rollup_<name>_<grain>`,
 * keyed by (site_id, bucket UTC, dims..., is_bot), measures events/pageviews (sums) and
 * visitors/visits (`uniq` states, and since migration 0005 small `uniqCombined(12)` sketches that
 * merge in microseconds). Attribution is per event, so only queries whose raw answer is per-event
 * too are routed here; session-shaped queries read raw events or the table of visits (visits.ts).
 * A range off the table's buckets (a site's local days on a table of UTC days) reads the whole
 * buckets inside it from the table and the edges before and after them from raw events, aggregated
 * into the same states, so the two merge.
 */
interface RollupSpec {
  name: string;
  grains: readonly Grain[];
  /** Query dimension → rollup column. */
  columns: Readonly<Record<string, string>>;
  /** Rolls up pageviews only: other measures would count pageviews, not all events. */
  pageviewsOnly: boolean;
  /** The aggregator's condition on the events it rolls up, if any. */
  where?: string;
  /** Exists, complete, only once this aggregator migration is recorded as applied (its backfill done). */
  migration?: string;
  /** The same rollup sorted by its dimension first, for merging a few groups' sketches (top-candidates.ts), and its migration. */
  byGroup?: { table: string; migration: string };
}

/**
 * The aggregator migration that adds the sketch columns to the rollups visitors are read from
 * (events, tech_geo; pages are pageviews only) and creates `rollup_paths_day`. Until it is recorded
 * as applied the columns may exist but still be backfilling, so they are not read.
 */
export const SKETCH_MIGRATION = '0005_rollup_sketches';
/** The aggregator migration that creates and backfills `rollup_site_day`. */
export const SITE_MIGRATION = '0006_site_rollup';
/** The aggregator migration that creates `rollup_paths_by_path_day` (`rollup_paths_day` sorted by path first). */
export const PATHS_BY_PATH_MIGRATION = '0007_paths_by_path';
/** The sketch of the `*_sketch` columns (aggregator SKETCH); merged with `<SKETCH>Merge`. */
export const SKETCH_MERGE = 'uniqCombinedMerge(12)';
/** The same sketch built from raw events (a range's edges). */
const SKETCH_STATE = 'uniqCombinedState(12)';

type Grain = 'minute' | 'hour' | 'day';
export const DAY_MS = 86_400_000;
const GRAIN_MS: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: DAY_MS };
/** Coarsest first: fewer rows to read. */
const GRAIN_ORDER: readonly Grain[] = ['day', 'hour', 'minute'];

/** Tried in order: the first that fits answers. */
const SPECS: readonly RollupSpec[] = [
  { name: 'site', grains: ['day'], columns: {}, pageviewsOnly: false, migration: SITE_MIGRATION },
  { name: 'events', grains: ['minute', 'hour', 'day'], columns: { event_name: 'name' }, pageviewsOnly: false },
  { name: 'pages', grains: ['hour', 'day'], columns: { page: 'path' }, pageviewsOnly: true, where: "name = 'pageview'" },
  {
    name: 'paths',
    grains: ['day'],
    columns: { page: 'path' },
    pageviewsOnly: false,
    migration: SKETCH_MIGRATION,
    byGroup: { table: 'rollup_paths_by_path_day', migration: PATHS_BY_PATH_MIGRATION },
  },
  { name: 'tech_geo', grains: ['day'], columns: { country: 'country', device: 'device', browser: 'browser', os: 'os' }, pageviewsOnly: false },
];

const ROLLUP_METRICS: ReadonlySet<MetricName> = new Set(['events', 'pageviews', 'visitors', 'visits']);

export interface RollupChoice {
  table: string;
  columns: Readonly<Record<string, string>>;
  /** Length of the table's buckets: parts of a range off them are read from raw events. */
  grainMs: number;
  /** The aggregator's condition on the events it rolls up, if any. */
  where?: string;
  /** Visitors and visits come from the small sketch columns (else from the `uniq` states). */
  sketches: boolean;
  /** The same rollup sorted by its dimension first, when it exists and is complete. */
  byGroup?: string;
}

/** Metrics that come out of `uniq` sketches when answered from a rollup. */
export const ROLLUP_SKETCHES: readonly MetricName[] = ['visitors', 'visits'];

/** The plan's range and, if any, its comparison's. */
function rangesOf(plan: QueryPlan): Range[] {
  return plan.compare ? [plan.range, plan.compare] : [plan.range];
}

function aligned(r: Range, ms: number): boolean {
  return r.fromMs % ms === 0 && r.toMs % ms === 0;
}

/**
 * Whether the plan's range (and its comparison's) and its local time buckets all fall on whole UTC
 * buckets of `ms` milliseconds: otherwise a table of such buckets would shift the numbers.
 */
export function onWholeBuckets(plan: QueryPlan): (ms: number) => boolean {
  const ranges = rangesOf(plan);
  const buckets = timeBucketsOnWhole(plan);
  return (ms) => ranges.every((r) => aligned(r, ms)) && buckets(ms);
}

/** Whether the plan's time buckets (if any, in its time zone) start on whole UTC buckets of `ms` milliseconds. */
export function timeBucketsOnWhole(plan: QueryPlan): (ms: number) => boolean {
  const ranges = rangesOf(plan);
  const unit = plan.time ? (plan.time.slice(5) as TimeUnit) : undefined;
  const buckets = unit ? ranges.flatMap((r) => bucketsBetween(unit, r.fromMs, r.toMs, plan.timezone, MAX_TIME_BUCKETS) ?? [Number.NaN]) : [];
  return (ms) => buckets.every((b) => b % ms === 0);
}

/** What every read of a table of UTC buckets keeps: the site, the range's buckets, no bots unless asked. */
export function bucketWhere(plan: QueryPlan, range: Range, p: Params): string[] {
  return [
    `site_id = ${p.add('String', plan.siteId)}`,
    `bucket >= toDateTime(${p.add('UInt32', range.fromMs / 1000)}, 'UTC')`,
    `bucket < toDateTime(${p.add('UInt32', range.toMs / 1000)}, 'UTC')`,
    ...(plan.includeBots ? [] : ['is_bot = 0']),
  ];
}

/**
 * The cheapest rollup that gives the same numbers as raw events, or undefined: first one whose
 * buckets the range falls on, else the coarsest whose buckets the time dimension's fall on, with
 * the range's edges read from raw events.
 */
export function chooseRollup(plan: QueryPlan, schema: SchemaInfo): RollupChoice | undefined {
  if (!plan.metrics.every((m) => ROLLUP_METRICS.has(m))) return undefined;
  const sketches = schema.migrations.has(SKETCH_MIGRATION);
  const onGrain = onWholeBuckets(plan);
  const bucketsOnGrain = timeBucketsOnWhole(plan);
  const candidates = SPECS.flatMap((spec) => {
    if (spec.pageviewsOnly && !plan.metrics.every((m) => m === 'pageviews')) return [];
    if (spec.migration && !schema.migrations.has(spec.migration)) return [];
    const fits = (d: string) => isTimeDimension(d) || spec.columns[d] !== undefined;
    if (!plan.dimensions.every(fits) || !plan.filters.every((f) => spec.columns[f.dimension] !== undefined)) return [];
    return GRAIN_ORDER.filter((g) => spec.grains.includes(g) && schema.tables.has(`rollup_${spec.name}_${g}`)).map((grain) => ({ spec, grain }));
  });
  const chosen = candidates.find(({ grain }) => onGrain(GRAIN_MS[grain])) ?? candidates.find(({ grain }) => bucketsOnGrain(GRAIN_MS[grain]));
  if (!chosen) return undefined;
  const { spec, grain } = chosen;
  const byGroup = spec.byGroup && schema.migrations.has(spec.byGroup.migration) ? { byGroup: spec.byGroup.table } : {};
  return { table: `rollup_${spec.name}_${grain}`, columns: spec.columns, grainMs: GRAIN_MS[grain], ...(spec.where ? { where: spec.where } : {}), sketches, ...byGroup };
}

/** The whole buckets of `ms` milliseconds inside a range, and the parts before and after them. */
export function splitWhole(r: Range, ms: number): { whole?: Range; edges: Range[] } {
  const from = Math.ceil(r.fromMs / ms) * ms;
  const to = Math.floor(r.toMs / ms) * ms;
  if (from >= to) return { edges: [r] };
  const edges = [...(r.fromMs < from ? [{ fromMs: r.fromMs, toMs: from }] : []), ...(to < r.toMs ? [{ fromMs: to, toMs: r.toMs }] : [])];
  return { whole: { fromMs: from, toMs: to }, edges };
}

/** What every read of raw events at a range's edges keeps: the site, `ts` inside an edge, no bots unless asked. */
export function edgeWhere(plan: QueryPlan, edges: readonly Range[], p: Params): string[] {
  const ts = (ms: number) => p.add("DateTime64(3, 'UTC')", chDateTime(ms));
  return [
    `site_id = ${p.add('String', plan.siteId)}`,
    `(${edges.map((e) => `(ts >= ${ts(e.fromMs)} AND ts < ${ts(e.toMs)})`).join(' OR ')})`,
    ...(plan.includeBots ? [] : ['is_bot = 0']),
  ];
}

/** `table`, or `table+events` when a range of the plan is read partly from raw events. */
export function sourceLabel(table: string, plan: QueryPlan, grainMs: number): string {
  const ranges = rangesOf(plan);
  return ranges.every((r) => splitWhole(r, grainMs).edges.length === 0) ? table : `${table}+${EVENTS_TABLE}`;
}

/** The measure column a metric merges, and how raw events make the same state. */
function measureOf(m: MetricName, sketches: boolean): { column: string; raw: string } {
  switch (m) {
    case 'events':
      return { column: 'events', raw: 'count()' };
    case 'pageviews':
      return { column: 'pageviews', raw: "countIf(name = 'pageview')" };
    case 'visitors':
      return sketches ? { column: 'visitors_sketch', raw: `${SKETCH_STATE}(visitor_id)` } : { column: 'visitors', raw: 'uniqState(visitor_id)' };
    default:
      return sketches ? { column: 'visits_sketch', raw: `${SKETCH_STATE}(session_id)` } : { column: 'visits', raw: 'uniqState(session_id)' };
  }
}

function rollupMetric(m: MetricName, sketches: boolean): string {
  const { column } = measureOf(m, sketches);
  if (m === 'events' || m === 'pageviews') return `sum(${column})`;
  return sketches ? `${SKETCH_MERGE}(${column})` : `uniqMerge(${column})`;
}

/**
 * The rows a rollup query reads: the table's for the whole buckets of the range, and for its edges
 * the raw events of those hours aggregated the same way, with the columns the query names.
 */
function rollupRows(plan: QueryPlan, range: Range, rollup: RollupChoice, p: Params, dims: readonly string[], conds: readonly string[]): string {
  const measures = plan.metrics.map((m) => measureOf(m, rollup.sketches));
  const { whole, edges } = splitWhole(range, rollup.grainMs);
  const keys = [...(plan.time ? ['bucket'] : []), ...dims];
  const parts: string[] = [];
  if (whole) {
    const where = [...bucketWhere(plan, whole, p), ...conds];
    parts.push(`SELECT ${[...keys, ...measures.map((m) => m.column)].join(', ')} FROM ${rollup.table} WHERE ${where.join(' AND ')}`);
  }
  if (edges.length > 0) {
    const bucket = plan.time ? [`toDateTime(toStartOfInterval(ts, toIntervalSecond(${rollup.grainMs / 1000})), 'UTC') AS bucket`] : [];
    // The table's dimension columns bear the names of the events' own, so the same conditions apply.
    const where = [...edgeWhere(plan, edges, p), ...(rollup.where ? [rollup.where] : []), ...conds];
    const select = [...bucket, ...dims, ...measures.map((m) => `${m.raw} AS ${m.column}`)];
    parts.push(`SELECT ${select.join(', ')} FROM ${EVENTS_TABLE} WHERE ${where.join(' AND ')}${keys.length > 0 ? ` GROUP BY ${keys.join(', ')}` : ''}`);
  }
  return parts.join('\n  UNION ALL\n  ');
}

export function buildRollupQuery(plan: QueryPlan, opts: BuildOptions & { rollup: RollupChoice }): BuiltQuery {
  const p = opts.params ?? new Params();
  const tz = p.add('String', plan.timezone);
  const col = (d: string) => {
    const c = opts.rollup.columns[d];
    if (c === undefined) throw new Error(`rollup ${opts.rollup.table} has no column for ${d}`);
    return c;
  };
  const dimensionAliases = plan.dimensions.map((_, i) => `d${i}`);
  const metricAliases = plan.metrics.map((m) => `m_${m}`);
  const select = [
    ...plan.dimensions.map((d, i) => `${isTimeDimension(d) ? timeBucketExpr(d, 'bucket', tz) : col(d)} AS d${i}`),
    ...plan.metrics.map((m, i) => `${rollupMetric(m, opts.rollup.sketches)} AS ${metricAliases[i]}`),
  ];
  const columns = [...new Set([...plan.dimensions, ...plan.filters.map((f) => f.dimension)].filter((d) => !isTimeDimension(d)).map(col))];
  const where = [
    ...plan.filters.map((f) => filterOn(col(f.dimension), f, p)),
    ...(opts.candidates ? [`${col(plan.dimensions[0] ?? '')} IN ${p.add('Array(String)', opts.candidates)}`] : []),
  ];
  let sql = `SELECT ${select.join(', ')}\nFROM (\n  ${rollupRows(plan, opts.range, opts.rollup, p, columns, where)}\n)`;
  if (plan.dimensions.length > 0) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  sql += groupTail(plan, opts, p, []);
  return { sql, params: p.values, dimensionAliases, metricAliases };
}
