import type { SchemaInfo } from '../schema-probe.js';
import { isTimeDimension, type MetricName } from './catalog.js';
import type { QueryPlan } from './plan.js';
import { bucketWhere, onWholeBuckets } from './rollups.js';
import { DIRECT_SOURCE, Params, filterOn, groupTail, sessionMetric, timeBucketExpr, type BuildOptions, type BuiltQuery } from './sql.js';

/**
 * The aggregator's table of visits (aggregator/src/storage/schema-rollups.ts, VISITS_ROLLUP): one
 * row per (site, UTC day, is_bot, session_id) once merged, so reading it with FINAL gives one row
 * per visit. A report that needs whole visits reads a few columns of each visit instead of
 * grouping every event of the range by visit (5-10× less work, docs/BENCHMARKS.md).
 */
export const VISITS_TABLE = 'rollup_visits_day';
/** The aggregator migration that creates and backfills it; until recorded, it may be half filled. */
export const VISITS_MIGRATION = '0008_visits_rollup';
/** The aggregator migration that adds each visit's first referrer and UTM fields to that table. */
export const VISIT_ACQUISITION_MIGRATION = '0009_visit_acquisition';

const DAY_MS = 86_400_000;

const VISIT_METRICS: ReadonlySet<MetricName> = new Set([
  'visitors',
  'visits',
  'pageviews',
  'events',
  'revenue',
  'bounce_rate',
  'visit_duration',
  'views_per_visit',
]);

const source = 'finalizeAggregation(first_source)';

/** Session dimensions the table keeps → their value on a row (as sql.ts derives them from raw events). */
const VISIT_COLUMNS: Readonly<Record<string, string>> = {
  entry_page: 'finalizeAggregation(first_path)',
  exit_page: 'finalizeAggregation(last_path)',
  source: `if(${source} != '', ${source}, '${DIRECT_SOURCE}')`,
};
/** Kept once VISIT_ACQUISITION_MIGRATION is applied (until then the columns may be half filled). */
const ACQUISITION_COLUMNS: Readonly<Record<string, string>> = {
  referrer: 'finalizeAggregation(first_referrer)',
  utm_source: 'finalizeAggregation(first_utm_source)',
  utm_medium: 'finalizeAggregation(first_utm_medium)',
  utm_campaign: 'finalizeAggregation(first_utm_campaign)',
};
const columnOf = (d: string): string | undefined => VISIT_COLUMNS[d] ?? ACQUISITION_COLUMNS[d];
const keptBy = (schema: SchemaInfo) => {
  const acquisition = schema.migrations.has(VISIT_ACQUISITION_MIGRATION);
  return (d: string): boolean => VISIT_COLUMNS[d] !== undefined || (acquisition && ACQUISITION_COLUMNS[d] !== undefined);
};

/**
 * Whether the visits table answers this plan with the numbers raw events give: a report that
 * needs visits, whose dimensions and filters are all entry or exit page, source, referrer or UTM
 * field (or days, weeks or months in UTC), over whole UTC days, without bots (a visit's rows are split by the bot flag)
 * and without a goal (conversions are per event).
 */
export function visitsAnswer(plan: QueryPlan, schema: SchemaInfo): boolean {
  if (!schema.migrations.has(VISITS_MIGRATION) || !schema.tables.has(VISITS_TABLE)) return false;
  if (plan.includeBots || !plan.metrics.every((m) => VISIT_METRICS.has(m))) return false;
  const kept = keptBy(schema);
  if (!plan.dimensions.every((d) => kept(d) || isTimeDimension(d))) return false;
  if (!plan.filters.every((f) => kept(f.dimension))) return false;
  // A row is a visit's whole UTC day: hour and minute buckets, local days off UTC, fail here.
  return onWholeBuckets(plan)(DAY_MS);
}

export function buildVisitsQuery(plan: QueryPlan, opts: BuildOptions): BuiltQuery {
  const p = new Params();
  const tz = p.add('String', plan.timezone);
  const attributes = new Set([...plan.dimensions, ...plan.filters.map((f) => f.dimension)].filter((d) => columnOf(d) !== undefined));
  const perVisit = [
    'bucket',
    'visitor AS vid',
    'pageviews AS pv',
    'events AS ev',
    'revenue AS rev',
    '1 AS hit',
    'pageviews AS spv',
    'events AS sev',
    "dateDiff('millisecond', started, ended) / 1000 AS sdur",
    ...[...attributes].map((d) => `${columnOf(d) ?? ''} AS s_${d}`),
  ];
  const where = bucketWhere(plan, opts.range, p);
  const dimensionAliases = plan.dimensions.map((_, i) => `d${i}`);
  const metricAliases = plan.metrics.map((m) => `m_${m}`);
  const select = [
    ...plan.dimensions.map((d, i) => `${isTimeDimension(d) ? timeBucketExpr(d, 's.bucket', tz) : `s.s_${d}`} AS d${i}`),
    ...plan.metrics.map((m, i) => `${sessionMetric(m, undefined)} AS ${metricAliases[i]}`),
  ];
  let sql = `SELECT ${select.join(', ')}\nFROM (\n  SELECT ${perVisit.join(', ')}\n  FROM ${VISITS_TABLE} FINAL\n  WHERE ${where.join(' AND ')}\n) AS s`;
  if (plan.filters.length > 0) sql += `\nWHERE ${plan.filters.map((f) => filterOn(`s.s_${f.dimension}`, f, p)).join('\n  AND ')}`;
  if (plan.dimensions.length > 0) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  sql += groupTail(plan, opts, p, []);
  return { sql, params: p.values, dimensionAliases, metricAliases };
}
