import { SITE_SHARDING_KEY, tableSettings, type DdlContext, type MigrationStep } from './ddl.js';
import { EVENTS_TABLE } from './schema-events.js';

/**
 * Rollups kept by materialized views on `events`. Buckets are UTC; a site in a zone with a whole-
 * hour offset reads the hour grain, others the minute grain. Counts are exact (sum). Visitors and
 * visits are kept twice: `visitors`/`visits` as `uniq` states (the first schema; a day of a busy
 * site is a hash set of up to 64k entries, hundreds of KB, slow to read and merge), and
 * `visitors_sketch`/`visits_sketch` as small fixed-size sketches (see SKETCH) that the query API
 * reads. Attribution is per event, not per session.
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
  /**
   * Also keeps the small visitors/visits sketches (SKETCH_COLUMNS). Only rollups the query API
   * reads visitors or visits from have them: each costs two more sketch updates per inserted event.
   */
  sketches?: boolean;
  /** Sorting key, when not (site_id, bucket, dims...). */
  key?: readonly string[];
  /** index_granularity, when not ClickHouse's 8192. */
  granularity?: number;
  /** Measures of their own instead of the events/pageviews/visitors/visits set (VISITS_ROLLUP). */
  measures?: Measures;
  /**
   * Measures a later migration added to the events/pageviews/visitors/visits set (and sketches):
   * their columns follow the others, their expressions are part of the current view's query
   * (SITE_ROLLUP's `revenue_currencies`, migration 0010).
   */
  added?: Measures;
}

export interface Measures {
  /** Column name → type. */
  columns: Readonly<Record<string, string>>;
  /** One `<aggregate over events> AS <column>` per column, in the same order. */
  exprs: readonly string[];
}

const GRAINS = {
  minute: 'toStartOfMinute(ts)',
  hour: 'toStartOfHour(ts)',
  day: "toDateTime(toStartOfDay(ts), 'UTC')",
} as const;

type Grain = keyof typeof GRAINS;

function rollup(name: string, grain: Grain, dims: Record<string, string>, opts: Pick<Rollup, 'where' | 'sketches' | 'key' | 'granularity' | 'measures' | 'added'> = {}): Rollup {
  const table = `rollup_${name}_${grain}`;
  return { table, view: `mv_${table}`, bucket: GRAINS[grain], dims, ...opts };
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

/** The rollups of the first schema (migration 0003); frozen, since that migration renders from it. */
export const FIRST_ROLLUPS: readonly Rollup[] = [
  rollup('events', 'minute', EVENT_DIMS, { sketches: true }),
  rollup('events', 'hour', EVENT_DIMS, { sketches: true }),
  rollup('events', 'day', EVENT_DIMS, { sketches: true }),
  // Pageviews only: the query API reads sums from these, never visitors.
  rollup('pages', 'hour', PAGE_DIMS, { where: "name = 'pageview'" }),
  rollup('pages', 'day', PAGE_DIMS, { where: "name = 'pageview'" }),
  // Session-attributed dimensions: the query API answers them from raw events.
  rollup('sources', 'day', SOURCE_DIMS),
  rollup('tech_geo', 'day', TECH_GEO_DIMS, { sketches: true }),
];

/**
 * Every (path, day) over all events, not only pageviews: a page breakdown with visitors, visits or
 * events (the dashboard's "Top pages") counts every event on the path, as raw events do.
 */
export const PATHS_ROLLUP: Rollup = rollup('paths', 'day', PAGE_DIMS, { sketches: true });

/**
 * `rollup_paths_day` again, sorted by path first, in small granules: a top list by visitors merges
 * the sketches of a few candidate pages (query API, top-candidates.ts), and in the day-first table
 * those pages' rows lie in every granule, so every page's sketch was read to merge a few. Here a
 * page's days are adjacent and a granule is 64 rows.
 */
export const PATHS_BY_PATH_ROLLUP: Rollup = rollup('paths_by_path', 'day', PAGE_DIMS, {
  sketches: true,
  key: ['site_id', 'is_bot', 'path', 'bucket'],
  granularity: 64,
});

/**
 * Migration 0010: the currencies a site's revenue was recorded in, per UTC day. Pulse converts no
 * currency (no exchange-rate source), so the query API's `revenue` sums amounts as sent; it reads
 * this (a few bytes a site and day) to say which currencies an answer's sum mixes
 * (`meta.revenue_currencies`). `revenue_currency` is '' exactly when the event had no revenue (the
 * protocol requires a currency of three capital letters with every amount). A column of the site
 * rollup rather than a table of its own: every materialized view writes a part of its own on each
 * insert, and a view of revenue events only cost an insert of 20,000 events (with every other view)
 * a median 6–18 % more; this expression costs no time measurable against that noise. `Array(String)`:
 * ClickHouse refuses `Array(LowCardinality(String))` for what `groupUniqArrayArray` returns. A row
 * stored before the column existed reads `[]`, which the union keeps out.
 */
const REVENUE_CURRENCIES: Measures = {
  columns: { revenue_currencies: 'SimpleAggregateFunction(groupUniqArrayArray, Array(String))' },
  exprs: ["groupUniqArrayIf(revenue_currency, revenue_currency != '') AS revenue_currencies"],
};

/** The site rollup as migration 0006 created it (frozen: that migration renders from it). */
export const FIRST_SITE_ROLLUP: Rollup = rollup('site', 'day', { is_bot: 'UInt8' }, { sketches: true });

/**
 * Per site and day with no other dimension: a series or total of the whole site (the dashboard's
 * graph and headline numbers) merges one sketch a day instead of one per event name; and which
 * currencies the day's revenue was recorded in (REVENUE_CURRENCIES, migration 0010).
 */
export const SITE_ROLLUP: Rollup = { ...FIRST_SITE_ROLLUP, added: REVENUE_CURRENCIES };

const TS = "DateTime64(3, 'UTC')";

const VISIT_DIMS = { is_bot: 'UInt8', session_id: 'String' };

/** A visit's time span, for the backfill of columns a later migration adds (visitAttributeStatements). */
const VISIT_SPAN: Measures = {
  columns: {
    visitor: 'SimpleAggregateFunction(any, String)',
    started: `SimpleAggregateFunction(min, ${TS})`,
    ended: `SimpleAggregateFunction(max, ${TS})`,
  },
  exprs: ['any(visitor_id) AS visitor', 'min(ts) AS started', 'max(ts) AS ended'],
};

const COUNT_MEASURES: Measures = {
  columns: {
    events: 'SimpleAggregateFunction(sum, UInt64)',
    pageviews: 'SimpleAggregateFunction(sum, UInt64)',
    revenue: 'SimpleAggregateFunction(sum, Float64)',
  },
  exprs: ['count() AS events', "countIf(name = 'pageview') AS pageviews", 'sum(revenue_amount) AS revenue'],
};

/** The measures of migration 0008 (frozen: that migration renders from them). */
const FIRST_VISIT_MEASURES: Measures = {
  columns: {
    ...VISIT_SPAN.columns,
    ...COUNT_MEASURES.columns,
    first_path: `AggregateFunction(argMin, String, ${TS})`,
    last_path: `AggregateFunction(argMax, String, ${TS})`,
    first_source: `AggregateFunction(argMin, String, ${TS})`,
  },
  exprs: [
    ...VISIT_SPAN.exprs,
    ...COUNT_MEASURES.exprs,
    'argMinState(path, ts) AS first_path',
    'argMaxState(path, ts) AS last_path',
    'argMinState(source, ts) AS first_source',
  ],
};

/**
 * A visit attribute is kept as one string: the event's time in milliseconds as 12 hex digits, then
 * the value, so that `min` keeps the first event's value and `max` the last one's (ties between
 * events of the same millisecond go to the smaller value). Plain `min`/`max` of strings cost the
 * view ~60 % of what `argMin` states did and ~30 % of `(time, value)` tuples (500,000 events, six
 * attributes: +430 ms against +700 and +1,450), and read without deserialising a state. The
 * query API strips the prefix (`substring(x, 13)`) and builds the same strings from raw events.
 */
const AT_MS = "leftPad(hex(toUnixTimestamp64Milli(ts)), 12, '0')";
/**
 * A column kept by `min` must not default to '': rows stored before the column was added read as
 * that default, which would win every `min`. They read as 'G' instead, after any hex digit, so the
 * backfilled value wins.
 */
const FIRST_AT = "SimpleAggregateFunction(min, String) DEFAULT 'G'";
const LAST_AT = 'SimpleAggregateFunction(max, String)';

/**
 * Migration 0009: a visit's visitor as a 64-bit hash, and its attributes as time-prefixed strings
 * (AT_MS) instead of `argMin`/`argMax` states: a 30-day breakdown of 2,000,000 visits read 1.3–1.75×
 * faster (docs/BENCHMARKS.md, twelfth session), and the referrer and UTM fields join the entry and
 * exit pages and the source, so the dashboard's referrer and UTM tabs (which timed out at
 * 100,000,000 events on raw events) read this table too.
 */
const VISIT_ATTRIBUTES: Measures = {
  columns: {
    // max, not any: rows stored before the column was added read 0, which `any` could keep.
    visitor_hash: 'SimpleAggregateFunction(max, UInt64)',
    entry: FIRST_AT,
    exit: LAST_AT,
    acq_source: FIRST_AT,
    acq_referrer: FIRST_AT,
    acq_utm_source: FIRST_AT,
    acq_utm_medium: FIRST_AT,
    acq_utm_campaign: FIRST_AT,
  },
  exprs: [
    'max(cityHash64(visitor_id)) AS visitor_hash',
    `min(concat(${AT_MS}, path)) AS entry`,
    `max(concat(${AT_MS}, path)) AS exit`,
    `min(concat(${AT_MS}, source)) AS acq_source`,
    `min(concat(${AT_MS}, referrer)) AS acq_referrer`,
    `min(concat(${AT_MS}, utm_source)) AS acq_utm_source`,
    `min(concat(${AT_MS}, utm_medium)) AS acq_utm_medium`,
    `min(concat(${AT_MS}, utm_campaign)) AS acq_utm_campaign`,
  ],
};

/**
 * One row per visit and UTC day (a visit ends at midnight UTC for every site; Universal Analytics
 * ended sessions at midnight of the view's time zone, which would need the site's zone here): read with FINAL, each row is a whole visit, so visit counts, bounce rate,
 * duration, entry/exit pages and acquisition need no GROUP BY over millions of visit ids. Column
 * names differ from `events`' own: an alias equal to a column it aggregates would shadow that
 * column. The `argMin`/`argMax` state columns of migration 0008 stay in the table, no longer
 * written (they take empty states).
 */
export const VISITS_ROLLUP: Rollup = rollup('visits', 'day', VISIT_DIMS, {
  measures: {
    columns: { ...FIRST_VISIT_MEASURES.columns, ...VISIT_ATTRIBUTES.columns },
    exprs: [...VISIT_SPAN.exprs, ...COUNT_MEASURES.exprs, ...VISIT_ATTRIBUTES.exprs],
  },
});

/** The visits table as migration 0008 created it. */
export const FIRST_VISITS_ROLLUP: Rollup = { ...VISITS_ROLLUP, measures: FIRST_VISIT_MEASURES };

/** Every rollup the schema maintains; names are a contract with the query API (ARCHITECTURE.md). */
export const ROLLUPS: readonly Rollup[] = [...FIRST_ROLLUPS, PATHS_ROLLUP, SITE_ROLLUP, PATHS_BY_PATH_ROLLUP, VISITS_ROLLUP];

/**
 * The visitors/visits sketch the query API reads: HyperLogLog with 2^12 registers once large
 * (exact while small), at most ~3 KB a state, so merging a month of days costs microseconds;
 * standard error ~1.6% beyond a few thousand distinct values. Its name is a contract with the
 * query API, which merges with `uniqCombinedMerge(12)`.
 */
export const SKETCH = 'uniqCombined(12)';

const FIRST_MEASURES = `
  events SimpleAggregateFunction(sum, UInt64),
  pageviews SimpleAggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniq, String),
  visits AggregateFunction(uniq, String)`;

/** Column name → type of the sketch columns (added to the first rollups that have `sketches` by migration 0005). */
export const SKETCH_COLUMNS: Readonly<Record<string, string>> = {
  visitors_sketch: `AggregateFunction(${SKETCH}, String)`,
  visits_sketch: `AggregateFunction(${SKETCH}, String)`,
};

const FIRST_MEASURE_EXPRS = [
  'count() AS events',
  "countIf(name = 'pageview') AS pageviews",
  'uniqState(visitor_id) AS visitors',
  'uniqState(session_id) AS visits',
];

const SKETCH_EXPRS = [`${SKETCH.replace('(', 'State(')}(visitor_id) AS visitors_sketch`, `${SKETCH.replace('(', 'State(')}(session_id) AS visits_sketch`];

/** Which measures a rollup's table has: the first schema's, or the current one (sketches where `sketches`). */
export type MeasureSet = 'first' | 'current';

function hasSketches(r: Rollup, set: MeasureSet): boolean {
  return set === 'current' && r.sketches === true;
}

const COUNT_EXPRS = FIRST_MEASURE_EXPRS.slice(0, 2);

/**
 * The current schema computes no `uniq` states: nothing reads them once the sketches exist, and
 * they were the costliest part of every insert (a hash set of up to 64k entries per group and
 * rollup, sixteen of them per event row). Their columns stay and take empty states.
 */
function measureExprs(r: Rollup, set: MeasureSet): readonly string[] {
  if (r.measures) return r.measures.exprs;
  if (set === 'first') return FIRST_MEASURE_EXPRS;
  return [...COUNT_EXPRS, ...(hasSketches(r, set) ? SKETCH_EXPRS : []), ...(r.added?.exprs ?? [])];
}

/** Output column names of `selectSql(r, …, set)`, for inserts that must name their columns. */
export function selectColumns(r: Rollup, set: MeasureSet = 'current'): string[] {
  return ['site_id', 'bucket', ...Object.keys(r.dims), ...measureExprs(r, set).map(aliasOf)];
}

/** The column an `<aggregate> AS <column>` expression writes. */
function aliasOf(expr: string): string {
  return expr.slice(expr.lastIndexOf(' AS ') + 4);
}

function groupedSelect(r: Rollup, source: string, exprs: readonly string[], where = r.where): string {
  const dims = Object.keys(r.dims);
  return `SELECT site_id, ${r.bucket} AS bucket, ${dims.join(', ')}, ${exprs.join(', ')}
FROM ${source}${where ? `\nWHERE ${where}` : ''}
GROUP BY site_id, bucket, ${dims.join(', ')}`;
}

/**
 * The rollup's aggregation of `source` (the live `events`, or a replay's staging copy of it), with
 * every measure of the current schema.
 */
export function selectSql(r: Rollup, source: string = EVENTS_TABLE, set: MeasureSet = 'current'): string {
  return groupedSelect(r, source, measureExprs(r, set));
}

/**
 * Table, one-time backfill, then the view. The backfill is many inserts (a part per block and
 * partition), so a process killed during it leaves the table partly filled: until the view exists,
 * a re-run empties the table and backfills again; once it exists, both are skipped. Run before
 * aggregators insert: rows inserted between backfill and view creation would be missing from the
 * rollup.
 */
export function rollupStatements(ctx: DdlContext, r: Rollup, set: MeasureSet = 'current', backfillFrom?: Rollup): MigrationStep[] {
  const dims = Object.entries(r.dims).map(([n, t]) => `  ${n} ${t},`);
  const key = (r.key ?? ['site_id', 'bucket', ...Object.keys(r.dims)]).join(', ');
  const granularity = r.granularity === undefined ? '' : `index_granularity = ${r.granularity}`;
  const sketches = !hasSketches(r, set) ? '' : Object.entries(SKETCH_COLUMNS).map(([n, t]) => `,\n  ${n} ${t}`).join('');
  const added = set === 'first' || !r.added ? '' : Object.entries(r.added.columns).map(([n, t]) => `,\n  ${n} ${t}`).join('');
  const measures = r.measures
    ? `\n${Object.entries(r.measures.columns).map(([n, t]) => `  ${n} ${t}`).join(',\n')}`
    : `${FIRST_MEASURES}${sketches}${added}`;
  const create = `CREATE TABLE IF NOT EXISTS ${ctx.local(r.table)}${ctx.onCluster} (
  site_id String,
  bucket DateTime('UTC'),
${dims.join('\n')}${measures}
)
ENGINE = ${ctx.engine('AggregatingMergeTree')}
PARTITION BY toYYYYMM(bucket)
ORDER BY (${key})
${tableSettings(ctx.dedupSettings, granularity)}`;
  // The first schema's text is frozen (applied migrations are not re-rendered differently).
  const columns = set === 'first' ? '' : ` (${selectColumns(r, set).join(', ')})`;
  // From another rollup with the same columns: its states cover days whose raw events a TTL dropped.
  const source = backfillFrom
    ? `SELECT ${selectColumns(r, set).join(', ')} FROM ${backfillFrom.table}`
    : `SELECT * FROM (${selectSql(r, EVENTS_TABLE, set)})`;
  const backfill = `INSERT INTO ${r.table}${columns}
${source}`;
  // On a sharded cluster the view runs on each shard, from its events to its rollup; the
  // backfill above reads and writes through the Distributed tables.
  const view = `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r.view}${ctx.onCluster} TO ${ctx.local(r.table)} AS
${selectSql(r, ctx.local(EVENTS_TABLE), set)}`;
  return [
    create,
    ...ctx.distributed(r.table, SITE_SHARDING_KEY),
    { sql: `TRUNCATE TABLE ${ctx.local(r.table)}${ctx.onCluster}`, unlessExists: r.view },
    { sql: backfill, unlessExists: r.view },
    view,
  ];
}

/** The rollup's view switched to the current query; the swap is atomic, so no insert is missed. */
function viewQueryStatement(ctx: DdlContext, r: Rollup): string {
  return `ALTER TABLE ${r.view}${ctx.onCluster} MODIFY QUERY\n${selectSql(r, ctx.local(EVENTS_TABLE))}`;
}

/** A first-schema rollup without sketches: its view stops computing the unread `uniq` states. */
export function countsOnlyStatements(ctx: DdlContext, r: Rollup): string[] {
  return [viewQueryStatement(ctx, r)];
}

/**
 * New columns on a rollup: the columns, the view's new query, then a backfill from raw events of
 * `backfill` (`<aggregate> AS <column>` expressions; of the events `where` keeps, when given, else
 * the rollup's own), whose rows must change nothing else in the stored rows they merge with.
 */
function addColumnsStatements(
  ctx: DdlContext,
  r: Rollup,
  columns: Readonly<Record<string, string>>,
  backfill: readonly string[],
  opts: { where?: string; settings?: string } = {},
): string[] {
  const add = ctx.columnTables(r.table).flatMap((table) => Object.entries(columns).map(([n, t]) => `ALTER TABLE ${table}${ctx.onCluster} ADD COLUMN IF NOT EXISTS ${n} ${t}`));
  const names = ['site_id', 'bucket', ...Object.keys(r.dims), ...backfill.map(aliasOf)].join(', ');
  const insert = `INSERT INTO ${r.table} (${names})
${groupedSelect(r, EVENTS_TABLE, backfill, opts.where ?? r.where)}${opts.settings ?? ''}`;
  return [...add, viewQueryStatement(ctx, r), insert];
}

/**
 * Adds the sketch columns to a rollup of the first schema: the columns, the view's new query (the
 * swap is atomic, so no insert is missed), then the sketches of everything already stored. The
 * backfill overlaps with what the new view writes meanwhile; a sketch is a set union, so an event
 * seen twice changes nothing, and a re-run is harmless too. Counts are untouched (the backfill
 * rows carry zero events and empty `uniq` states). Days whose raw events a TTL already dropped
 * cannot be backfilled: their sketches stay empty.
 */
export function sketchStatements(ctx: DdlContext, r: Rollup): string[] {
  return addColumnsStatements(ctx, r, SKETCH_COLUMNS, SKETCH_EXPRS);
}

/**
 * Memory a backfill's GROUP BY may hold before it spills to disk: it groups every stored event by
 * visit, tens of millions of groups on a large site, and the aggregator must not be killed at start.
 */
export const BACKFILL_GROUP_BY_BYTES = 2_000_000_000;

/**
 * Adds migration 0009's columns to the visits table: the columns, the view's new query (atomic, no
 * insert missed), then the values of every visit already stored. A backfill row carries the
 * visit's visitor and time span (`any`, `min`, `max`: merged with the stored row they change
 * nothing) and zero counts, so it also leaves alone visits the new view writes meanwhile, and a
 * re-run is harmless. Days whose raw events a TTL already dropped keep empty values ('', hash 0).
 */
export function visitAttributeStatements(ctx: DdlContext): string[] {
  return addColumnsStatements(
    ctx,
    VISITS_ROLLUP,
    VISIT_ATTRIBUTES.columns,
    [...VISIT_SPAN.exprs, ...VISIT_ATTRIBUTES.exprs],
    { settings: `\nSETTINGS max_bytes_before_external_group_by = ${BACKFILL_GROUP_BY_BYTES}` },
  );
}

/**
 * Migration 0010: the site rollup's `revenue_currencies` column, the view's new query (atomic, no
 * insert missed), then the currencies of every site-day already stored, from its revenue events
 * only (site-days without revenue get no row). A backfill row carries only the site, bot flag, day
 * and currencies: its counts are 0 and its `uniq` states and sketches empty, which merge with the
 * stored row as nothing, and a currency list is a set union, so the rows the new view writes
 * meanwhile and a re-run change nothing. Days whose raw events a TTL already dropped keep `[]`.
 */
export function revenueCurrenciesStatements(ctx: DdlContext): string[] {
  return addColumnsStatements(ctx, SITE_ROLLUP, REVENUE_CURRENCIES.columns, REVENUE_CURRENCIES.exprs, { where: "revenue_currency != ''" });
}
