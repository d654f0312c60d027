import { tableSettings, type DdlContext } from './ddl.js';

/** The raw events table (foundation schema; columns may be ADDED by later migrations, never renamed). */
export const EVENTS_TABLE = 'events';

export const EVENTS_COLUMNS = `
  site_id String,
  ts DateTime64(3, 'UTC'),
  event_id String,
  name LowCardinality(String),
  visitor_id String,
  session_id String,
  user_id String,
  url String,
  hostname String,
  path String,
  title String,
  referrer String,
  referrer_host String,
  utm_source String,
  utm_medium String,
  utm_campaign String,
  utm_term String,
  utm_content String,
  country LowCardinality(String),
  browser LowCardinality(String),
  browser_version LowCardinality(String),
  os LowCardinality(String),
  device LowCardinality(String),
  is_bot UInt8,
  screen_width UInt32,
  lang LowCardinality(String),
  props Map(String, String),
  revenue_amount Float64,
  revenue_currency LowCardinality(String),
  received_at DateTime64(3, 'UTC'),
  stream_seq UInt64`;

/**
 * ReplacingMergeTree keyed on (site, day, name, event id): per-site time scans read a narrow key
 * range, and a client event that reached the table twice collapses to one row on merge (the
 * aggregator also deduplicates before insert so rollups never see the duplicate). The day, not the
 * exact time, is in the key because a client retry may carry a clock correction a few ms apart.
 */
export function createEventsTable(ctx: DdlContext, table = EVENTS_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${ctx.local(table)}${ctx.onCluster} (${EVENTS_COLUMNS}
)
ENGINE = ${ctx.engine('ReplacingMergeTree', 'received_at')}
PARTITION BY toYYYYMM(ts)
ORDER BY (site_id, toDate(ts), name, event_id)
${tableSettings(ctx.dedupSettings)}`;
}
