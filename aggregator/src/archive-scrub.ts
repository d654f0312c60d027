import type { KV } from 'nats';
import { StreamMessageError, type AnyStreamMessage, type CookielessIds } from '@pulse/protocol';
import { decodeStreamMessage } from '@pulse/protocol/codec';
import { archiveMessages, readUnscrubbed, type ArchiveEntry } from './archive.js';
import { archivedMessage } from './archive-copy.js';
import type { Logger } from './log.js';
import { PREPARE_SLICE_MS } from './pipeline.js';
import { cookielessIdsOf } from './rows.js';
import { readOnlySaltSource, type SaltSource } from './salt.js';
import type { StoreLock } from './store-lock.js';
import type { DdlContext } from './storage/ddl.js';
import { ARCHIVE_TABLE } from './storage/schema-archive.js';
import type { Storage } from './storage/types.js';
import { timeSlicer } from './time-slice.js';
import { batchToken } from './token.js';

/** The lock (in `PULSE_STORE_LOCK`) one scrubber at a time holds. */
export const SCRUB_LOCK_KEY = 'archive-scrub';
/**
 * `PULSE_STATE` key of the scrub's progress, `{"through_seq": n}`: every old row up to `n` has its
 * copy, so a scrub resumed by another process (the first one died) skips them.
 */
export const SCRUB_PROGRESS_KEY = 'archive-scrub';
export const DEFAULT_SCRUB_CHUNK_MESSAGES = 500;
/** How often a scrubber waiting for the lock looks again (the holder may have died or finished). */
export const DEFAULT_SCRUB_POLL_MS = 5_000;
/** Copy-and-collapse passes before the scrub leaves what is left for the next start. */
const SCRUB_ROUNDS = 3;
const PROGRESS_LOG_MS = 10_000;

export interface ScrubDeps {
  storage: Storage;
  /** Where the archive's local tables are and how to reach all of them (the migrations' context). */
  ddl: DdlContext;
  /** `PULSE_STATE`: the live salts (read, never created) and the progress key. */
  stateKv: KV;
  /** Opened only when there is something to scrub. */
  lock(): Promise<StoreLock>;
  logger: Logger;
  chunkMessages: number;
  pollMs: number;
  stopping(): boolean;
  /** Waits between polls for the lock; cut short when the aggregator stops. */
  sleep(ms: number): Promise<void>;
}

export interface ScrubReport {
  /** `none`: nothing to scrub; `stopped`: the aggregator is stopping (resumed at its next start). */
  outcome: 'none' | 'done' | 'stopped' | 'incomplete';
  /** Old rows copied by this process. */
  copied: number;
}

/**
 * Rewrites the archive rows written before the archive kept copies (`scrubbed = 0`: the original
 * messages, with every record's client IP) as copies without IPs (archive-copy.ts), then removes
 * the old rows. Runs beside live ingestion (it touches only `events_archive`, never `events`), one
 * process at a time (a lock in NATS KV; the others wait and find nothing left), and every step can
 * run again:
 *
 * 1. copy: the old rows in sequence order, a chunk at a time, each rewritten and inserted with
 *    `scrubbed = 1` and a dedup token of its sequences (a retried chunk is a no-op); its
 *    cookieless ids are computed now from the IP, with the live salt of the day while it exists
 *    (the ids live gave), else with a salt of this scrub only (ids that stay distinct within the
 *    day, as a replay after the salt's deletion always gave). Readers already prefer a
 *    sequence's copy (`ORDER BY stream_seq, scrubbed DESC LIMIT 1 BY stream_seq`);
 * 2. collapse: `OPTIMIZE … PARTITION … FINAL` of every partition holding old rows. The table is a
 *    ReplacingMergeTree on `stream_seq` without a version, so a merge keeps a sequence's last
 *    inserted row, its copy, and never drops a sequence: an old row without a copy stays. An
 *    `ALTER … DELETE` of old rows could remove one whose copy never landed;
 * 3. check: old rows left (a copy lost to an older aggregator re-archiving the original, a merge
 *    the engine skipped) go through 1 and 2 again, up to three rounds, then wait for the next start.
 */
export async function scrubArchive(d: ScrubDeps): Promise<ScrubReport> {
  let pending = await pendingRows(d.storage);
  if (pending.n === 0) return { outcome: 'none', copied: 0 };
  const lock = await d.lock();
  let release = await lock.tryAcquire();
  while (!release) {
    // Another aggregator scrubs: wait until it is done (nothing left) or gone (its lease expires).
    if (d.stopping()) return { outcome: 'stopped', copied: 0 };
    await d.sleep(d.pollMs);
    pending = await pendingRows(d.storage);
    if (pending.n === 0) return { outcome: 'none', copied: 0 };
    release = await lock.tryAcquire();
  }
  try {
    return await scrubHolding(d);
  } finally {
    await release();
  }
}

async function scrubHolding(d: ScrubDeps): Promise<ScrubReport> {
  const started = Date.now();
  const salts = readOnlySaltSource(d.stateKv);
  let copied = 0;
  let partitions = 0;
  for (let round = 0; round < SCRUB_ROUNDS; round++) {
    const pending = await pendingRows(d.storage);
    if (pending.n === 0) break;
    // A later round starts over: what it finds was left by the round before.
    let cursor = round === 0 ? await readProgress(d.stateKv) : 0;
    d.logger.log('info', 'archive scrub started', { round, old_rows: pending.n, through_seq: pending.hi, resume_after_seq: cursor });
    let logged = Date.now();
    for (;;) {
      const msgs = await readUnscrubbed(d.storage, { afterSeq: cursor, toSeq: pending.hi, limit: d.chunkMessages });
      if (msgs.length === 0) break;
      const entries: ArchiveEntry[] = [];
      const pause = timeSlicer(PREPARE_SLICE_MS);
      for (const m of msgs) {
        const paused = pause();
        if (paused) await paused;
        entries.push({ seq: m.seq, time: m.time, body: await scrubbedCopy(m.data, salts) });
      }
      const seqs = entries.map((e) => e.seq);
      await archiveMessages(entries, d.storage, batchToken(`SCRUB.${round}`, seqs));
      cursor = seqs[seqs.length - 1] ?? cursor;
      copied += entries.length;
      await d.stateKv.put(SCRUB_PROGRESS_KEY, JSON.stringify({ through_seq: cursor }));
      if (Date.now() - logged >= PROGRESS_LOG_MS) {
        d.logger.log('info', 'archive scrub progress', { copied, through_seq: cursor, last_seq: pending.hi });
        logged = Date.now();
      }
      if (d.stopping()) {
        d.logger.log('info', 'archive scrub paused; resumed at the next start', { copied, through_seq: cursor, last_seq: pending.hi });
        return { outcome: 'stopped', copied };
      }
    }
    partitions += await collapse(d, pending.hi);
  }
  const left = await pendingRows(d.storage);
  if (left.n > 0) {
    d.logger.log('warn', 'archive scrub left old rows; retried at the next start', { copied, old_rows: left.n, rounds: SCRUB_ROUNDS });
    return { outcome: 'incomplete', copied };
  }
  await d.stateKv.purge(SCRUB_PROGRESS_KEY);
  d.logger.log('info', 'archive scrub done', { copied, partitions, duration_ms: Date.now() - started });
  return { outcome: 'done', copied };
}

/** Old rows and the highest sequence among them. */
async function pendingRows(storage: Storage): Promise<{ n: number; hi: number }> {
  const [r] = await storage.query<{ n: number; hi: number }>(`SELECT count() AS n, max(stream_seq) AS hi FROM ${ARCHIVE_TABLE} WHERE scrubbed = 0`);
  return { n: r?.n ?? 0, hi: r?.hi ?? 0 };
}

async function readProgress(kv: KV): Promise<number> {
  const e = await kv.get(SCRUB_PROGRESS_KEY);
  if (!e || e.operation !== 'PUT') return 0;
  try {
    const v = (JSON.parse(new TextDecoder().decode(e.value)) as { through_seq?: unknown }).through_seq;
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
  } catch {
    // Not ours to trust: starting over only costs time.
    return 0;
  }
}

/**
 * The old row's message as live archives one now. A record whose ids cannot be computed (a raw
 * body that no longer expands: it was poison live too) loses its ip all the same.
 */
async function scrubbedCopy(data: Uint8Array, salts: SaltSource): Promise<Uint8Array> {
  let msg: AnyStreamMessage;
  try {
    msg = decodeStreamMessage(data);
  } catch (err) {
    // Bytes that never read as a message are kept as they are (archivedMessage's rule).
    if (err instanceof StreamMessageError) return data;
    throw err;
  }
  const ids: (CookielessIds | undefined)[] = [];
  for (const r of msg.records) {
    try {
      ids.push(await cookielessIdsOf(r, (ms) => salts.saltFor(ms)));
    } catch (err) {
      if (!(err instanceof StreamMessageError)) throw err;
      ids.push(undefined);
    }
  }
  return archivedMessage(data, ids);
}

/** Merges away the old rows that have copies; returns how many partitions it rewrote. */
async function collapse(d: ScrubDeps, hi: number): Promise<number> {
  const parts = await d.storage.query<{ p: string }>(
    `SELECT DISTINCT toString(toYYYYMM(stream_time)) AS p FROM ${ARCHIVE_TABLE} WHERE scrubbed = 0 AND stream_seq <= {hi:UInt64} ORDER BY p`,
    { hi },
  );
  for (const { p } of parts) {
    // Partition ids of toYYYYMM are six digits; anything else is not spliced into SQL.
    if (!/^\d{6}$/.test(p)) continue;
    await d.storage.command(`OPTIMIZE TABLE ${d.ddl.local(ARCHIVE_TABLE)}${d.ddl.onCluster} PARTITION ID '${p}' FINAL`);
  }
  return parts.length;
}
