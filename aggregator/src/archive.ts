import { millis, type JsMsg } from 'nats';
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

/** Keeps the original bytes of fetched messages; `token` makes a retried batch a no-op. */
export async function archiveMessages(msgs: readonly JsMsg[], storage: Storage, token: string): Promise<void> {
  const rows: ArchiveRow[] = msgs.map((m) => ({
    stream_seq: m.seq,
    stream_time: new Date(millis(m.info.timestampNanos)).toISOString(),
    body: Buffer.from(m.data).toString('base64'),
  }));
  await storage.insert(ARCHIVE_TABLE, rows, { dedupToken: `ARCHIVE:${token}` });
}

/**
 * Archived messages with `fromTime <= stream_time` and `afterSeq < stream_seq <= toSeq`, in
 * sequence order, one per sequence, at most `limit`.
 */
export async function readArchive(
  storage: Storage,
  q: { fromTime: number; afterSeq: number; toSeq: number; limit: number },
): Promise<ArchivedMessage[]> {
  const rows = await storage.query<ArchiveRow>(
    `SELECT stream_seq, stream_time, body FROM ${ARCHIVE_TABLE}
     WHERE stream_seq > {after:UInt64} AND stream_seq <= {to:UInt64}
       AND stream_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
     ORDER BY stream_seq
     LIMIT 1 BY stream_seq
     LIMIT {limit:UInt32}`,
    { after: q.afterSeq, to: q.toSeq, from: q.fromTime, limit: q.limit },
  );
  return rows.map((r) => ({ seq: r.stream_seq, time: Date.parse(r.stream_time), data: new Uint8Array(Buffer.from(r.body, 'base64')) }));
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
