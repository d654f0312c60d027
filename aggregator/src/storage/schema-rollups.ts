import { tableSettings, type DdlContext } from './ddl.js';
import { EVENTS_TABLE } from './schema-events.js';

/**
 * Rollups kept by materialized views on `events`. Buckets are UTC; a site in a zone with a whole-
 * hour offset reads the hour grain, others the minute grain. Counts are exact (sum), visitors and
 * visits are `uniq` sketches (approximate, ~1%). Attribution is per event, not per session.
 */
export interface Rollup {
  table: string;
  view: string;
  /** Expression of the bucket start from `ts`. */
  bucket: string;
  /** Dimension columns after (site_id, bucket): name → type. */
  dims: Record<string, string>;
  /** Optional filter of the source events. */
  where?: string;
}

const GRAINS = {
  minute: 'toStartOfMinute(ts)',
  hour: 'toStartOfHour(ts)',
  day: "toDateTime(toStartOfDay(ts), 'UTC')",
} as const;

type Grain = keyof typeof GRAINS;

function rollup(name: string, grain: Grain, dims: Record<string, string>, where?: string): Rollup {
  const table = `rollup_${name}_${grain}`;
  return { table, view: `mv_${table}`, bucket: GRAINS[grain], dims, ...(where ? { where } : {}) };
}

const EVENT_DIMS = { name: 'LowCardinality(String)', is_bot: 'UInt8' };
const PAGE_DIMS = { path: 'String', is_bot: 'UInt8' };
const SOURCE_DIMS = {
  source: 'LowCardinality(String)',
  medium: 'LowCardinality(String)',
  referrer_host: 'String',
  utm_source: 'String',
  utm_medium: 'String',
  utm_campaign: 'String',
  is_bot: 'UInt8',
};
const TECH_GEO_DIMS = {
  country: 'LowCardinality(String)',
  device: 'LowCardinality(String)',
  browser: 'LowCardinality(String)',
  os: 'LowCardinality(String)',
  is_bot: 'UInt8',
};

/** Every rollup the schema maintains; names are a contract with the query API (ARCHITECTURE.md). */
export const ROLLUPS: readonly Rollup[] = [
  rollup('events', 'minute', EVENT_DIMS),
  rollup('events', 'hour', EVENT_DIMS),
  rollup('events', 'day', EVENT_DIMS),
  rollup('pages', 'hour', PAGE_DIMS, "name = 'pageview'"),
  rollup('pages', 'day', PAGE_DIMS, "name = 'pageview'"),
  rollup('sources', 'day', SOURCE_DIMS),
  rollup('tech_geo', 'day', TECH_GEO_DIMS),
];

const MEASURES = `
  events SimpleAggregateFunction(sum, UInt64),
  pageviews SimpleAggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniq, String),
  visits AggregateFunction(uniq, String)`;

const MEASURE_EXPRS = [
  'count() AS events',
  "countIf(name = 'pageview') AS pageviews",
  'uniqState(visitor_id) AS visitors',
  'uniqState(session_id) AS visits',
];

/** The rollup's aggregation of `source` (the live `events`, or a replay's staging copy of it). */
export function selectSql(r: Rollup, source: string = EVENTS_TABLE): string {
  const dims = Object.keys(r.dims);
  return `SELECT site_id, ${r.bucket} AS bucket, ${dims.join(', ')}, ${MEASURE_EXPRS.join(', ')}
FROM ${source}${r.where ? `\nWHERE ${r.where}` : ''}
GROUP BY site_id, bucket, ${dims.join(', ')}`;
}

/**
 * Table, one-time backfill (only while the rollup is still empty, so a re-run adds nothing), then
 * the view. Run before aggregators insert: rows inserted between backfill and view creation would
 * be missing from the rollup.
 */
export function rollupStatements(ctx: DdlContext, r: Rollup): string[] {
  const dims = Object.entries(r.dims).map(([n, t]) => `  ${n} ${t},`);
  const key = ['site_id', 'bucket', ...Object.keys(r.dims)].join(', ');
  const create = `CREATE TABLE IF NOT EXISTS ${r.table}${ctx.onCluster} (
  site_id String,
  bucket DateTime('UTC'),
${dims.join('\n')}${MEASURES}
)
ENGINE = ${ctx.engine('AggregatingMergeTree')}
PARTITION BY toYYYYMM(bucket)
ORDER BY (${key})
${tableSettings(ctx.dedupSettings)}`;
  const backfill = `INSERT INTO ${r.table}
SELECT * FROM (${selectSql(r)})
WHERE (SELECT count() FROM ${r.table}) = 0`;
  const view = `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r.view}${ctx.onCluster} TO ${r.table} AS
${selectSql(r)}`;
  return [create, backfill, view];
}
