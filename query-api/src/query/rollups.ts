import type { SchemaInfo } from '../schema-probe.js';
import { bucketsBetween, type TimeUnit } from '../time/zone.js';
import { isTimeDimension, type MetricName } from './catalog.js';
import { MAX_TIME_BUCKETS, type QueryPlan, type Range } from './plan.js';
import { Params, filterOn, groupTail, timeBucketExpr, type BuildOptions, type BuiltQuery } from './sql.js';

/**
 * The aggregator's rollup tables (aggregator/src/storage/schema-rollups.ts): `rollup_<name>_<grain>`,
 * keyed by (site_id, bucket UTC, dims..., is_bot), measures events/pageviews (sums) and
 * visitors/visits (`uniq` states, and since migration 0005 small `uniqCombined(12)` sketches that
 * merge in microseconds). Attribution is per event, so only queries whose raw answer is per-event
 * too are routed here; session-shaped queries read raw events or the table of visits (visits.ts).
 */
interface RollupSpec {
  name: string;
  grains: readonly Grain[];
  /** Query dimension → rollup column. */
  columns: Readonly<Record<string, string>>;
  /** Rolls up pageviews only: other measures would count pageviews, not all events. */
  pageviewsOnly: boolean;
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

type Grain = 'minute' | 'hour' | 'day';
const GRAIN_MS: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Coarsest first: fewer rows to read. */
const GRAIN_ORDER: readonly Grain[] = ['day', 'hour', 'minute'];

/** Tried in order: the first that fits answers. */
const SPECS: readonly RollupSpec[] = [
  { name: 'site', grains: ['day'], columns: {}, pageviewsOnly: false, migration: SITE_MIGRATION },
  { name: 'events', grains: ['minute', 'hour', 'day'], columns: { event_name: 'name' }, pageviewsOnly: false },
  { name: 'pages', grains: ['hour', 'day'], columns: { page: 'path' }, pageviewsOnly: true },
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
  /** Visitors and visits come from the small sketch columns (else from the `uniq` states). */
  sketches: boolean;
  /** The same rollup sorted by its dimension first, when it exists and is complete. */
  byGroup?: string;
}

/** Metrics that come out of `uniq` sketches when answered from a rollup. */
export const ROLLUP_SKETCHES: readonly MetricName[] = ['visitors', 'visits'];

function aligned(r: Range, ms: number): boolean {
  return r.fromMs % ms === 0 && r.toMs % ms === 0;
}

/**
 * Whether the plan's range (and its comparison's) and its local time buckets all fall on whole UTC
 * buckets of `ms` milliseconds: otherwise a table of such buckets would shift the numbers.
 */
export function onWholeBuckets(plan: QueryPlan): (ms: number) => boolean {
  const ranges = plan.compare ? [plan.range, plan.compare] : [plan.range];
  const buckets = timeBucketsOnWhole(plan);
  return (ms) => ranges.every((r) => aligned(r, ms)) && buckets(ms);
}

/** Whether the plan's time buckets (if any, in its time zone) start on whole UTC buckets of `ms` milliseconds. */
export function timeBucketsOnWhole(plan: QueryPlan): (ms: number) => boolean {
  const ranges = plan.compare ? [plan.range, plan.compare] : [plan.range];
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

/** The cheapest rollup that gives the same numbers as raw events, or undefined. */
export function chooseRollup(plan: QueryPlan, schema: SchemaInfo): RollupChoice | undefined {
  if (!plan.metrics.every((m) => ROLLUP_METRICS.has(m))) return undefined;
  const sketches = schema.migrations.has(SKETCH_MIGRATION);
  const onGrain = onWholeBuckets(plan);
  for (const spec of SPECS) {
    if (spec.pageviewsOnly && !plan.metrics.every((m) => m === 'pageviews')) continue;
    if (spec.migration && !schema.migrations.has(spec.migration)) continue;
    const fits = (d: string) => isTimeDimension(d) || spec.columns[d] !== undefined;
    if (!plan.dimensions.every(fits) || !plan.filters.every((f) => spec.columns[f.dimension] !== undefined)) continue;
    for (const grain of GRAIN_ORDER) {
      if (!spec.grains.includes(grain)) continue;
      if (!onGrain(GRAIN_MS[grain])) continue;
      const table = `rollup_${spec.name}_${grain}`;
      if (!schema.tables.has(table)) continue;
      const byGroup = spec.byGroup && schema.migrations.has(spec.byGroup.migration) ? { byGroup: spec.byGroup.table } : {};
      return { table, columns: spec.columns, sketches, ...byGroup };
    }
  }
  return undefined;
}

function rollupMetric(m: MetricName, sketches: boolean): string {
  switch (m) {
    case 'events':
      return 'sum(events)';
    case 'pageviews':
      return 'sum(pageviews)';
    case 'visitors':
      return sketches ? `${SKETCH_MERGE}(visitors_sketch)` : 'uniqMerge(visitors)';
    default:
      return sketches ? `${SKETCH_MERGE}(visits_sketch)` : 'uniqMerge(visits)';
  }
}

export function buildRollupQuery(plan: QueryPlan, opts: BuildOptions & { rollup: RollupChoice }): BuiltQuery {
  const p = new Params();
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
  const where = [
    ...bucketWhere(plan, opts.range, p),
    ...plan.filters.map((f) => filterOn(col(f.dimension), f, p)),
    ...(opts.candidates ? [`${col(plan.dimensions[0] ?? '')} IN ${p.add('Array(String)', opts.candidates)}`] : []),
  ];
  let sql = `SELECT ${select.join(', ')}\nFROM ${opts.rollup.table}\nWHERE ${where.join('\n  AND ')}`;
  if (plan.dimensions.length > 0) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  sql += groupTail(plan, opts, p, []);
  return { sql, params: p.values, dimensionAliases, metricAliases };
}
