import { tableSettings, type DdlContext } from './ddl.js';

/** The original stream messages, kept beyond the stream's retention so replays can reach older history. */
export const ARCHIVE_TABLE = 'events_archive';

/**
 * One row per stream message. `body` is the base64 of the original msgpack bytes: JSONEachRow (the
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
