import type { KV, KvEntry } from 'nats';
import { scanKv } from './kv-scan.js';
import type { SourceState, SyncPointStore } from './sync-point.js';

/** Entries of the source bucket read per round; the point is saved after each, so an interrupted pass resumes. */
export const DEFAULT_CATCH_UP_BATCH = 25_000;
/** A round's read fails after this long (a watch whose end marker never comes must not hang a catch-up). */
export const DEFAULT_SCAN_TIMEOUT_MS = 30_000;

/** What one catch-up did: how much it read tells an incremental one from a pass over the whole bucket. */
export interface CatchUpResult {
  /** True when no usable point was saved: the whole bucket was read. */
  full: boolean;
  /** First revision asked for. */
  from: number;
  /** The revision the index is complete up to afterwards. */
  to: number;
  /** Entries read from the source bucket (deletes included). */
  read: number;
  ms: number;
}

export interface CatchUpOptions {
  /** The bucket the index is derived from. */
  source: KV;
  sync: SyncPointStore;
  /** Puts a round's entries into the index; `full` says the index may lack most of them. */
  apply: (entries: KvEntry[], o: { full: boolean }) => Promise<void>;
  batch?: number;
  scanTimeoutMs?: number;
}

/**
 * Brings an index up to date with its source bucket: reads the revisions after the saved point
 * (all of them the first time), applies them round by round and moves the point after each.
 */
export async function catchUp(o: CatchUpOptions): Promise<CatchUpResult> {
  const started = performance.now();
  const batch = o.batch ?? DEFAULT_CATCH_UP_BATCH;
  const timeoutMs = o.scanTimeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
  const { streamInfo } = await o.source.status();
  const state: SourceState = { created: streamInfo.created, lastRevision: streamInfo.state.last_seq };
  let done = await o.sync.resumeAfter(state);
  const full = done === 0;
  const result = { full, from: done + 1, read: 0 };

  while (done < state.lastRevision) {
    const { entries, truncated } = await scanKv(o.source, { key: '>', fromRevision: done + 1, max: batch, timeoutMs });
    result.read += entries.length;
    const reached = entries.reduce((m, e) => Math.max(m, e.revision), done);
    await o.apply(entries, { full });
    // The saved point may be further on: another instance's pass, whose part is not read twice.
    if (reached > done) done = await o.sync.advance(reached, state);
    if (!truncated) break;
  }
  return { ...result, to: done, ms: Math.round(performance.now() - started) };
}
