import type { SchemaInfo } from '../schema-probe.js';
import { isTimeDimension, type MetricName } from './catalog.js';
import type { QueryPlan, Range } from './plan.js';
import { DAY_MS, bucketWhere, edgeWhere, splitWhole, timeBucketsOnWhole } from './rollups.js';
import {
  EVENTS_TABLE,
  Params,
  attributeValue,
  filterOn,
  groupTail,
  sessionColumns,
  sessionMetric,
  sourceOrDirect,
  timeBucketExpr,
  type BuildOptions,
  type BuiltQuery,
} from './sql.js';

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
  /** The same from raw events grouped by visit. */
  rawVisitor: string;
  /** Session dimension → its value on a row (as sql.ts derives it from raw events). */
  columns: Readonly<Record<string, string>>;
  /**
   * The visitor and the attributes over a visit's rows of both bot flags (with `include_bots` a
   * visit whose agent turned out a bot half-way is one visit), when this layout can merge them.
   */
  merged?: { visitor: string; columns: Readonly<Record<string, string>> };
}

/** Migration 0008: argMin/argMax states, no referrer or UTM fields. */
const STATE_LAYOUT: Layout = {
  visitor: 'visitor',
  rawVisitor: 'any(visitor_id)',
  columns: {
    entry_page: 'finalizeAggregation(first_path)',
    exit_page: 'finalizeAggregation(last_path)',
    source: sourceOrDirect('finalizeAggregation(first_source)'),
  },
};

/** Migration 0009's time-prefixed attributes: dimension → the column and the aggregate that keeps it. */
const PREFIXED: Readonly<Record<string, [agg: 'min' | 'max', column: string]>> = {
  entry_page: ['min', 'entry'],
  exit_page: ['max', 'exit'],
  source: ['min', 'acq_source'],
  referrer: ['min', 'acq_referrer'],
  utm_source: ['min', 'acq_utm_source'],
  utm_medium: ['min', 'acq_utm_medium'],
  utm_campaign: ['min', 'acq_utm_campaign'],
};

function prefixedColumns(merge: boolean): Record<string, string> {
  return Object.fromEntries(
    Object.entries(PREFIXED).map(([d, [agg, column]]) => {
      const value = attributeValue(merge ? `${agg}(${column})` : column);
      return [d, d === 'source' ? sourceOrDirect(value) : value];
    }),
  );
}

/** Migration 0009: time-prefixed strings (the state columns are no longer written). */
const STRING_LAYOUT: Layout = {
  visitor: 'visitor_hash',
  rawVisitor: 'max(cityHash64(visitor_id))',
  columns: prefixedColumns(false),
  merged: { visitor: 'max(visitor_hash)', columns: prefixedColumns(true) },
};

export function layoutOf(schema: SchemaInfo): Layout | undefined {
  if (!schema.tables.has(VISITS_TABLE)) return undefined;
  if (schema.migrations.has(VISIT_ATTRIBUTES_MIGRATION)) return STRING_LAYOUT;
  return schema.migrations.has(VISITS_MIGRATION) ? STATE_LAYOUT : undefined;
}

/**
 * A column of a visit's row: as the table keeps it (one row per visit and bot flag, read with
 * FINAL), merged over a visit's rows of both bot flags, and from raw events grouped by visit.
 */
interface VisitColumn {
  table: string;
  merged: string;
  raw: string;
}

/**
 * A visit's key: a 64-bit hash of its session id and UTC day. Joining and looking up numbers is
 * several times faster than (String, Date) pairs (visits-join.ts). Two visits of one query's range
 * would have to share a hash to change an answer: about one chance in 10^6 with 10,000,000 visits
 * in the range.
 */
export const VISIT_KEY: VisitColumn = {
  table: 'cityHash64(session_id, toDate(bucket))',
  merged: 'cityHash64(session_id, toDate(bucket))',
  raw: 'cityHash64(session_id, toDate(ts))',
};

/**
 * The columns a report reads from each visit (sql.ts's sessionMetric names them): its bucket, key
 * (visits-join.ts), visitor, counts, length and attributes (`s_<dimension>`).
 */
function visitColumns(layout: Layout, schema: SchemaInfo): Record<string, VisitColumn> {
  const raw = sessionColumns(schema);
  const pageviews = { table: 'pageviews', merged: 'sum(pageviews)', raw: "countIf(name = 'pageview')" };
  const events = { table: 'events', merged: 'sum(events)', raw: 'count()' };
  const columns: Record<string, VisitColumn> = {
    bucket: { table: 'bucket', merged: 'bucket', raw: "toDateTime(toDate(ts), 'UTC')" },
    k: VISIT_KEY,
    vid: { table: layout.visitor, merged: layout.merged?.visitor ?? '', raw: layout.rawVisitor },
    pv: pageviews,
    ev: events,
    rev: { table: 'revenue', merged: 'sum(revenue)', raw: 'sum(revenue_amount)' },
    hit: { table: '1', merged: '1', raw: '1' },
    spv: pageviews,
    sev: events,
    sdur: {
      table: "dateDiff('millisecond', started, ended) / 1000",
      merged: "dateDiff('millisecond', min(started), max(ended)) / 1000",
      raw: "dateDiff('millisecond', min(ts), max(ts)) / 1000",
    },
  };
  for (const [d, table] of Object.entries(layout.columns)) columns[`s_${d}`] = { table, merged: layout.merged?.columns[d] ?? '', raw: raw[d] ?? '' };
  return columns;
}

/**
 * One row per visit of `range` (its bot events too with `include_bots`) with the named columns:
 * the table's rows for the whole UTC days in it, and for the hours before and after them (a range
 * in a site's own time zone starts and ends off UTC midnight) the raw events of those hours
 * grouped by visit, which is what raw events give for a visit cut by the range. At most a day of
 * events is grouped that way.
 */
export function visitRows(plan: QueryPlan, range: Range, p: Params, schema: SchemaInfo, names: readonly string[]): string {
  const layout = layoutOf(schema);
  if (!layout) throw new Error('the visits table is not ready');
  const columns = visitColumns(layout, schema);
  const pick = (side: keyof VisitColumn) => names.map((n) => `${columns[n]?.[side] ?? ''} AS ${n}`).join(', ');
  const { whole, edges } = splitWhole(range, DAY_MS);
  const parts: string[] = [];
  if (whole) {
    const where = bucketWhere(plan, whole, p).join(' AND ');
    parts.push(
      plan.includeBots
        ? `SELECT ${pick('merged')}\n  FROM ${VISITS_TABLE}\n  WHERE ${where}\n  GROUP BY bucket, session_id`
        : `SELECT ${pick('table')}\n  FROM ${VISITS_TABLE} FINAL\n  WHERE ${where}`,
    );
  }
  if (edges.length > 0) {
    parts.push(`SELECT ${pick('raw')}\n  FROM ${EVENTS_TABLE}\n  WHERE ${edgeWhere(plan, edges, p).join(' AND ')}\n  GROUP BY session_id, toDate(ts)`);
  }
  return parts.join('\n  UNION ALL\n  ');
}

/**
 * Whether the visits table answers this plan with the numbers raw events give: a report that
 * needs visits, whose dimensions and filters are all attributes the table keeps (entry and exit
 * page, source; since migration 0009 referrer and UTM fields too) or days, weeks or months in UTC,
 * without a goal (conversions are per event); with bots only from migration 0009 on (a visit's rows
 * are split by the bot flag, and only its columns merge). A range off UTC midnight reads its edges
 * from raw events (visitRows).
 */
export function visitsAnswer(plan: QueryPlan, schema: SchemaInfo): boolean {
  const layout = layoutOf(schema);
  if (!layout) return false;
  if ((plan.includeBots && !layout.merged) || !plan.metrics.every((m) => VISIT_METRICS.has(m))) return false;
  const kept = (d: string) => layout.columns[d] !== undefined;
  if (!plan.dimensions.every((d) => kept(d) || isTimeDimension(d))) return false;
  if (!plan.filters.every((f) => kept(f.dimension))) return false;
  // A row is a visit's whole UTC day: hour and minute buckets, local days off UTC, fail here
  // (visits-join.ts answers those); ranges off UTC midnight take their edges from raw events.
  return timeBucketsOnWhole(plan)(DAY_MS);
}

export function buildVisitsQuery(plan: QueryPlan, opts: BuildOptions): BuiltQuery {
  const layout = layoutOf(opts.schema);
  if (!layout) throw new Error('the visits table is not ready');
  const p = opts.params ?? new Params();
  const tz = p.add('String', plan.timezone);
  const attributes = new Set([...plan.dimensions, ...plan.filters.map((f) => f.dimension)].filter((d) => layout.columns[d] !== undefined));
  const names = ['bucket', 'vid', 'pv', 'ev', 'rev', 'hit', 'spv', 'sev', 'sdur', ...[...attributes].map((d) => `s_${d}`)];
  const rows = visitRows(plan, opts.range, p, opts.schema, names);
  const dimensionAliases = plan.dimensions.map((_, i) => `d${i}`);
  const metricAliases = plan.metrics.map((m) => `m_${m}`);
  const select = [
    ...plan.dimensions.map((d, i) => `${isTimeDimension(d) ? timeBucketExpr(d, 's.bucket', tz) : `s.s_${d}`} AS d${i}`),
    ...plan.metrics.map((m, i) => `${sessionMetric(m, undefined)} AS ${metricAliases[i]}`),
  ];
  let sql = `SELECT ${select.join(', ')}\nFROM (\n  ${rows}\n) AS s`;
  if (plan.filters.length > 0) sql += `\nWHERE ${plan.filters.map((f) => filterOn(`s.s_${f.dimension}`, f, p)).join('\n  AND ')}`;
  if (plan.dimensions.length > 0) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  sql += groupTail(plan, opts, p, []);
  return { sql, params: p.values, dimensionAliases, metricAliases };
}
