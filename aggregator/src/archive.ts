import type { SourceMessage } from './pipeline.js';
import { ARCHIVE_TABLE } from './storage/schema-archive.js';
import type { Storage } from './storage/types.js';

interface ArchiveRow {
  stream_seq: number;
  stream_time: string;
  body: string;
}

export interface ArchivedMessage extends SourceMessage {
  /** When JetStream stored it (ms epoch). */
  readonly time: number;
}

/** One message as the archive keeps it: `body` is its archived copy (archive-copy.ts), never the original. */
export interface ArchiveEntry {
  seq: number;
  /** Stream time, ms epoch. */
  time: number;
  body: Uint8Array;
}

/**
 * Writes archived copies (rows with `scrubbed = 1`: they hold no IP); `token` makes a retried
 * insert a no-op.
 */
export async function archiveMessages(entries: readonly ArchiveEntry[], storage: Storage, token: string): Promise<void> {
  const rows = entries.map((e) => ({
    stream_seq: e.seq,
    stream_time: new Date(e.time).toISOString(),
    body: Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength).toString('base64'),
    scrubbed: 1,
  }));
  await storage.insert(ARCHIVE_TABLE, rows, { dedupToken: `ARCHIVE:${token}` });
}

const toMessage = (r: ArchiveRow): ArchivedMessage => ({
  seq: r.stream_seq,
  time: Date.parse(r.stream_time),
  data: new Uint8Array(Buffer.from(r.body, 'base64')),
});

/**
 * Archived messages with `fromTime <= stream_time` and `afterSeq < stream_seq <= toSeq`, in
 * sequence order, one per sequence (its scrubbed row when it has one: archive-scrub.ts), at most
 * `limit`.
 */
export async function readArchive(
  storage: Storage,
  q: { fromTime: number; afterSeq: number; toSeq: number; limit: number },
): Promise<ArchivedMessage[]> {
  const rows = await storage.query<ArchiveRow>(
    `SELECT stream_seq, stream_time, body FROM ${ARCHIVE_TABLE}
     WHERE stream_seq > {after:UInt64} AND stream_seq <= {to:UInt64}
       AND stream_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
     ORDER BY stream_seq, scrubbed DESC
     LIMIT 1 BY stream_seq
     LIMIT {limit:UInt32}`,
    { after: q.afterSeq, to: q.toSeq, from: q.fromTime, limit: q.limit },
  );
  return rows.map(toMessage);
}

/** How many distinct messages the archive holds in that window (for progress). */
export async function countArchive(storage: Storage, q: { fromTime: number; toSeq: number }): Promise<number> {
  const [r] = await storage.query<{ n: number }>(
    `SELECT uniqExact(stream_seq) AS n FROM ${ARCHIVE_TABLE}
     WHERE stream_seq <= {to:UInt64} AND stream_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`,
    { to: q.toSeq, from: q.fromTime },
  );
  return r?.n ?? 0;
}

/**
 * Rows written before the archive kept copies (`scrubbed = 0`: their records still hold IPs),
 * with `afterSeq < stream_seq <= toSeq`, in sequence order, one per sequence, at most `limit`.
 */
export async function readUnscrubbed(storage: Storage, q: { afterSeq: number; toSeq: number; limit: number }): Promise<ArchivedMessage[]> {
  const rows = await storage.query<ArchiveRow>(
    `SELECT stream_seq, stream_time, body FROM ${ARCHIVE_TABLE}
     WHERE scrubbed = 0 AND stream_seq > {after:UInt64} AND stream_seq <= {to:UInt64}
     ORDER BY stream_seq
     LIMIT 1 BY stream_seq
     LIMIT {limit:UInt32}`,
    { after: q.afterSeq, to: q.toSeq, limit: q.limit },
  );
  return rows.map(toMessage);
}
