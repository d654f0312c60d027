import type { KV, KvEntry } from 'nats';
import { decodeRecord, encodeRecord } from '@pulse/protocol';
import { holdsRecord } from './kv-record.js';

/**
 * How far an index has read the KV bucket it is derived from: every entry of that bucket up to
 * `revision` (its stream sequence) is in the index, so a later catch-up starts after it.
 */
export interface SyncPoint {
  revision: number;
  /**
   * JetStream's `created` of the source bucket's stream. A bucket deleted and made again numbers its
   * revisions from 1 again: once it has grown past the old point, the revision alone would skip its
   * first keys. Absent in points saved by older versions, which are then trusted by revision alone.
   */
  stream_created?: string;
}

/** The source bucket as it is now: where a catch-up may resume, and where it must start over. */
export interface SourceState {
  created: string;
  lastRevision: number;
}

export interface SyncPointStoreOptions {
  /** The index's own bucket, which holds the point next to what it indexes. */
  kv: KV;
  /** The point's key in `kv`: one that no indexed key can be. */
  key: string;
}

const SAVE_ATTEMPTS = 10;

/**
 * A {@link SyncPoint} in a KV entry, moved only forward: several instances catch up at once, and one
 * that is behind must neither undo another's progress nor redo it (it adopts the point it finds).
 */
export class SyncPointStore {
  constructor(private readonly o: SyncPointStoreOptions) {}

  /** The revision a catch-up of `source` is complete up to: 0 (read it all) when none was saved for this stream. */
  async resumeAfter(source: SourceState): Promise<number> {
    return usableRevision(decode(await this.o.kv.get(this.o.key)), source);
  }

  /**
   * Saves `revision` unless the saved point of the same stream is already there or further, and
   * answers the revision the index is now complete up to: the saved one when another instance got further.
   */
  async advance(revision: number, source: SourceState): Promise<number> {
    const next: SyncPoint = { revision, stream_created: source.created };
    for (let attempt = 1; ; attempt++) {
      const entry = await this.o.kv.get(this.o.key);
      const saved = usableRevision(decode(entry), source);
      if (saved >= revision) return saved;
      try {
        // Compare-and-set on the entry read: a concurrent save makes this one read again.
        if (entry) await this.o.kv.update(this.o.key, encodeRecord(next), entry.revision);
        else await this.o.kv.create(this.o.key, encodeRecord(next));
        return revision;
      } catch (err) {
        if (attempt >= SAVE_ATTEMPTS) throw err;
      }
    }
  }
}

function decode(entry: KvEntry | null): SyncPoint | null {
  if (!holdsRecord(entry)) return null;
  try {
    const p = decodeRecord<Partial<SyncPoint>>(entry.value);
    return typeof p.revision === 'number' && Number.isSafeInteger(p.revision) && p.revision >= 0
      ? { revision: p.revision, ...(typeof p.stream_created === 'string' ? { stream_created: p.stream_created } : {}) }
      : null;
  } catch {
    return null;
  }
}

/**
 * A point of another stream counts for nothing. One of this stream may lie past `lastRevision`
 * (another instance read later); one of an older version, without a stream, past the end means
 * the bucket was made again.
 */
function usableRevision(p: SyncPoint | null, source: SourceState): number {
  if (!p) return 0;
  if (p.stream_created !== undefined) return p.stream_created === source.created ? p.revision : 0;
  return p.revision > source.lastRevision ? 0 : p.revision;
}
