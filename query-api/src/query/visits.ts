import type { SchemaInfo } from '../schema-probe.js';
import { isTimeDimension, type MetricName } from './catalog.js';
import type { QueryPlan } from './plan.js';
import { bucketWhere, onWholeBuckets } from './rollups.js';
import { Params, attributeValue, filterOn, groupTail, sessionMetric, sourceOrDirect, timeBucketExpr, type BuildOptions, type BuiltQuery } from './sql.js';

/**
 * The aggregator's table of visits (aggregator/src/storage/schema-rollups.ts, VISITS_ROLLUP): one
 * row per (site, UTC day, is_bot, session_id) once merged, so reading it with FINAL gives one row
 * per visit. A report that needs whole visits reads a few columns of each visit instead of
 * grouping every event of the range by visit (5-10× less work, docs/BENCHMARKS.md).
 */
export const VISITS_TABLE = 'rollup_visits_day';
/** The aggregator migration that creates and backfills it; until recorded, it may be half filled. */
export const VISITS_MIGRATION = '0008_visits_rollup';
/**
 * The aggregator migration that adds to that table each visit's attributes as time-prefixed
 * strings (faster to read than its argMin states), its first referrer and UTM fields, and a 64-bit
 * hash of its visitor.
 */
export const VISIT_ATTRIBUTES_MIGRATION = '0009_visit_attributes';

export const DAY_MS = 86_400_000;

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

/** Which columns of the table to read: those of the newest migration recorded as applied. */
export interface Layout {
  /** The visitor, for `uniq`: a string, or its 64-bit hash (same counts, cheaper to read and hash). */
  visitor: string;
  /** Session dimension → its value on a row (as sql.ts derives it from raw events). */
  columns: Readonly<Record<string, string>>;
}


/** Migration 0008: argMin/argMax states, no referrer or UTM fields. */
const STATE_LAYOUT: Layout = {
  visitor: 'visitor',
  columns: {
    entry_page: 'finalizeAggregation(first_path)',
    exit_page: 'finalizeAggregation(last_path)',
    source: sourceOrDirect('finalizeAggregation(first_source)'),
  },
};

/** Migration 0009: time-prefixed strings (the state columns are no longer written). */
const STRING_LAYOUT: Layout = {
  visitor: 'visitor_hash',
  columns: {
    entry_page: attributeValue('entry'),
    exit_page: attributeValue('exit'),
    source: sourceOrDirect(attributeValue('acq_source')),
    referrer: attributeValue('acq_referrer'),
    utm_source: attributeValue('acq_utm_source'),
    utm_medium: attributeValue('acq_utm_medium'),
    utm_campaign: attributeValue('acq_utm_campaign'),
  },
};

/** A visit's whole shape, as sql.ts's sessionMetric reads it: its pageviews, events and length in seconds. */
export const VISIT_SHAPE: readonly string[] = ['pageviews AS spv', 'events AS sev', "dateDiff('millisecond', started, ended) / 1000 AS sdur"];

export function layoutOf(schema: SchemaInfo): Layout | undefined {
  if (!schema.tables.has(VISITS_TABLE)) return undefined;
  if (schema.migrations.has(VISIT_ATTRIBUTES_MIGRATION)) return STRING_LAYOUT;
  return schema.migrations.has(VISITS_MIGRATION) ? STATE_LAYOUT : undefined;
}

/**
 * Whether the visits table answers this plan with the numbers raw events give: a report that
 * needs visits, whose dimensions and filters are all attributes the table keeps (entry and exit
 * page, source; since migration 0009 referrer and UTM fields too) or days, weeks or months in UTC,
 * over whole UTC days, without bots (a visit's rows are split by the bot flag) and without a goal
 * (conversions are per event).
 */
export function visitsAnswer(plan: QueryPlan, schema: SchemaInfo): boolean {
  const layout = layoutOf(schema);
  if (!layout) return false;
  if (plan.includeBots || !plan.metrics.every((m) => VISIT_METRICS.has(m))) return false;
  const kept = (d: string) => layout.columns[d] !== undefined;
  if (!plan.dimensions.every((d) => kept(d) || isTimeDimension(d))) return false;
  if (!plan.filters.every((f) => kept(f.dimension))) return false;
  // A row is a visit's whole UTC day: hour and minute buckets, local days off UTC, fail here.
  return onWholeBuckets(plan)(DAY_MS);
}

export function buildVisitsQuery(plan: QueryPlan, opts: BuildOptions): BuiltQuery {
  const layout = layoutOf(opts.schema);
  if (!layout) throw new Error('the visits table is not ready');
  const p = new Params();
  const tz = p.add('String', plan.timezone);
  const attributes = new Set([...plan.dimensions, ...plan.filters.map((f) => f.dimension)].filter((d) => layout.columns[d] !== undefined));
  const perVisit = [
    'bucket',
    `${layout.visitor} AS vid`,
    'pageviews AS pv',
    'events AS ev',
    'revenue AS rev',
    '1 AS hit',
    ...VISIT_SHAPE,
    ...[...attributes].map((d) => `${layout.columns[d] ?? ''} AS s_${d}`),
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
