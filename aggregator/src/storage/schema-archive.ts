import { tableSettings, type DdlContext } from './ddl.js';

/** The original stream messages, kept beyond the stream's retention so replays can reach older history. */
export const ARCHIVE_TABLE = 'events_archive';

/**
 * One row per stream message. `body` is the base64 of the message's msgpack bytes: JSONEachRow (the
 * only insert format both backends share) cannot carry raw bytes, and ZSTD takes most of base64's
 * overhead back. ReplacingMergeTree on the sequence: an archive insert repeated after a redelivery
 * collapses on merge, and readers take one row per sequence (`LIMIT 1 BY stream_seq`).
 */
export function createArchiveTable(ctx: DdlContext): string {
  return `CREATE TABLE IF NOT EXISTS ${ctx.local(ARCHIVE_TABLE)}${ctx.onCluster} (
  stream_seq UInt64,
  stream_time DateTime64(3, 'UTC'),
  body String CODEC(ZSTD(3))
)
ENGINE = ${ctx.engine('ReplacingMergeTree')}
PARTITION BY toYYYYMM(stream_time)
ORDER BY stream_seq
${tableSettings(ctx.dedupSettings)}`;
}

/**
 * Migration 0011: which rows are archived copies (`scrubbed = 1`: every record without its `ip`,
 * with the cookieless ids live gave it; archive-copy.ts) and which were written before, with the
 * original messages (`0`, the default those rows read). The aggregator scrubs the old rows
 * (archive-scrub.ts); until then readers prefer a sequence's scrubbed row.
 */
export function archiveScrubbedStatements(ctx: DdlContext): string[] {
  return ctx.columnTables(ARCHIVE_TABLE).map((t) => `ALTER TABLE ${t}${ctx.onCluster} ADD COLUMN IF NOT EXISTS scrubbed UInt8 DEFAULT 0`);
}
