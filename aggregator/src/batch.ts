import { headers as natsHeaders, millis, type JetStreamClient, type JsMsg } from 'nats';
import { DLQ_AGGREGATOR_SUBJECT, EVENTS_STREAM } from '@pulse/protocol';
import { archiveMessages, type ArchiveEntry } from './archive.js';
import { archivedCopyOf } from './archive-copy.js';
import { AggregatorError, StorageError } from './errors.js';
import type { WriteFence } from './fence.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { finishPipeline, preparePipeline, type PipelineDeps, type PoisonMessage, type Prepared, type PreparedBatch } from './pipeline.js';
import type { EventRow } from './rows.js';
import type { SaltSource } from './salt.js';
import type { SessionStore } from './sessions.js';
import type { SiteRules } from './site-rules.js';
import { EXCLUSION_RULES } from './site-rules-compile.js';
import { storeExclusively, type StoreLock } from './store-lock.js';
import type { Storage } from './storage/types.js';
import { EVENTS_TABLE } from './storage/schema-events.js';
import { batchToken } from './token.js';

export interface BatchDeps {
  storage: Storage;
  js: JetStreamClient;
  salts: SaltSource;
  sessions: SessionStore;
  rules: SiteRules;
  /** Live inserts wait while a replay swaps partitions. */
  fence: WriteFence;
  /** Orders this store against other processes' (undefined: only against this process's). */
  storeLock: StoreLock | undefined;
  metrics: Metrics;
  logger: Logger;
  retryInitialMs: number;
  retryMaxMs: number;
  ackWaitMs: number;
  /** A message delivered more often than this goes to the DLQ instead of through the pipeline. */
  maxDeliveries: number;
  stopping(): boolean;
  /** Waits between retries; cut short when the aggregator stops, so a stop never waits out a backoff. */
  sleep(ms: number): Promise<void>;
  /**
   * Called with the error of each failed attempt (and the `performance.now()` it began at) and with
   * undefined after a success. True when the failure belongs to a NATS outage already reported
   * (nats-outage.ts): the step then logs no line of its own for it.
   */
  onAttempt(err: unknown, startedAt?: number): boolean | void;
}

/** Raised when a batch is abandoned because the aggregator is stopping; its messages were nak'ed. */
export class BatchAbandonedError extends AggregatorError {
  constructor(cause: unknown) {
    super('batch_abandoned', 'stopping while the batch could not be stored; messages left for redelivery', { cause });
  }
}


/** Header values must be one line. */
function headerSafe(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

/** A fetched batch, decoded and enriched, whose messages are held (not acked) until stored. */
export interface HeldBatch {
  readonly msgs: JsMsg[];
  readonly held: Set<JsMsg>;
  readonly pre: PreparedBatch<JsMsg>;
}

function pipelineDeps(held: Set<JsMsg>, d: BatchDeps): PipelineDeps {
  return {
    storage: d.storage,
    salts: d.salts,
    sessions: d.sessions,
    rules: d.rules,
    dedupTable: EVENTS_TABLE,
    step: (name, fn) => retrying(held, d, name, fn),
    archiveCopies: true,
  };
}

/**
 * Steps 1–3 of the shared pipeline (decode + enrich, site rules, visits); no ClickHouse.
 * A message JetStream has delivered more than `maxDeliveries` times was never finished: what
 * fails in the pipeline is retried while the message is held, so it is one that took its
 * aggregator down each time (or a run of restarts in the middle of its batch). It goes to the DLQ
 * like an undecodable one rather than down every aggregator in turn; it stays in `EVENTS`, so a
 * replay of its range reads it again.
 */
export async function prepareBatch(msgs: JsMsg[], d: BatchDeps): Promise<HeldBatch> {
  const held = new Set(msgs);
  try {
    const fresh: JsMsg[] = [];
    const worn: PoisonMessage<JsMsg>[] = [];
    for (const msg of msgs) {
      const n = msg.info.deliveryCount;
      // Not mapped (that may be what took its aggregators down): archived without IPs and without
      // cookieless ids, so a replay from the archive gives its cookieless visitors an empty ip.
      if (n > d.maxDeliveries) worn.push({ msg, reason: `delivered ${n} times (more than ${d.maxDeliveries}) without being stored`, archived: archivedCopyOf(msg.data) });
      else fresh.push(msg);
    }
    const pre = await preparePipeline(fresh, pipelineDeps(held, d));
    pre.poison.push(...worn);
    return { msgs, held, pre };
  } catch (err) {
    releaseBatch({ held });
    throw err;
  }
}

/** Hands a batch's unfinished messages back to JetStream for prompt redelivery. */
export function releaseBatch(b: Pick<HeldBatch, 'held'>): void {
  for (const m of b.held) m.nak();
  b.held.clear();
}

/** A batch whose rows are in ClickHouse; `acked` settles once its messages are archived and acked. */
export interface StoredBatch {
  rows: number;
  /**
   * Archive, then ack: runs beside the next batch's store, which needs only this batch's rows (its
   * dedup reads them), not its archive. Rejects with `BatchAbandonedError` if the aggregator stops
   * while the archive cannot be written; whatever is not acked then is nak'ed for redelivery.
   */
  acked: Promise<void>;
}

/**
 * Stores one prepared batch with exactly-once effect: (wait out a replay's swap fence) → the last
 * pipeline step (client-event-id dedup), poison → DLQ + term → one insert whose token derives from
 * the stream sequences; then, in `acked`, archive the original messages → ack. Failures retry with
 * backoff while the messages are kept alive; nothing is acked before ClickHouse has the rows and
 * the archive has the messages. The dedup reads what earlier batches stored, so the caller stores
 * batches one after the other (their archives may overlap the next store).
 */
export async function storeBatch(b: HeldBatch, d: BatchDeps): Promise<StoredBatch> {
  const { msgs, held } = b;
  let inserted: number;
  let good: Prepared<JsMsg>[];
  try {
    await d.fence.enter(
      () => {
        for (const m of held) m.working();
      },
      () => (d.stopping() ? new BatchAbandonedError(new Error('stopping while a replay fence is up')) : undefined),
    );
    try {
      // From the dedup to the end of the insert, no other aggregator on this ClickHouse stores.
      const critical = async (): Promise<{ good: Prepared<JsMsg>[]; inserted: number }> => {
        await retrying(held, d, 'settle', () => settleInterrupted(d));
        const out = await finishPipeline(b.pre, pipelineDeps(held, d));
        for (const p of out.poison) await deadLetter(p.msg, p.reason, held, d);
        for (const rule of EXCLUSION_RULES) if (out.excludedBy[rule] > 0) d.metrics.excluded.inc({ rule }, out.excludedBy[rule]);
        d.metrics.duplicates.inc(out.duplicates);
        const seqs = out.good.map((p) => p.msg.seq);
        const n = out.fresh.length > 0 ? await insertIsolatingPoison(out.fresh, out.good, seqs, held, d) : 0;
        return { good: out.good, inserted: n };
      };
      ({ good, inserted } = await storeExclusively(d.storage, d.storeLock, critical, (lock) =>
        retrying(held, d, 'lock', () => lock.acquire()),
      ));
    } finally {
      d.fence.leave();
    }
  } catch (err) {
    // Abandoned on stop, or an unexpected failure: redeliver it promptly.
    releaseBatch(b);
    throw err;
  }
  const acked = archiveThenAck(b, good, d);
  // The caller awaits it later; until then a rejection must not count as unhandled.
  acked.catch(() => undefined);
  return { rows: inserted, acked };
}

async function archiveThenAck(b: HeldBatch, good: readonly Prepared<JsMsg>[], d: BatchDeps): Promise<void> {
  const { msgs, held } = b;
  try {
    // After the rows (a crash in between redelivers: the rows dedup, the archive insert happens
    // then), before the ack: every acked message is archived.
    const token = batchToken(EVENTS_STREAM, msgs.map((m) => m.seq));
    const entries = archiveEntries(b);
    await retrying(held, d, 'archive', () => archiveMessages(entries, d.storage, token));
    for (const p of good) {
      if (!held.has(p.msg)) continue;
      p.msg.ack();
      held.delete(p.msg);
      d.metrics.messages.inc({ outcome: 'stored' });
    }
  } finally {
    releaseBatch(b);
  }
}

/** The batch's messages as the archive keeps them: the copies the pipeline made (no IPs). */
function archiveEntries(b: HeldBatch): ArchiveEntry[] {
  const copies = new Map<JsMsg, Uint8Array>();
  for (const p of b.pre.good) if (p.archived) copies.set(p.msg, p.archived);
  for (const p of b.pre.poison) if (p.archived) copies.set(p.msg, p.archived);
  return b.msgs.map((m) => ({ seq: m.seq, time: millis(m.info.timestampNanos), body: copies.get(m) ?? archivedCopyOf(m.data) }));
}

/**
 * One insert for the batch. If ClickHouse refuses it for its content (not availability), each
 * message is inserted alone so only the offending one goes to the DLQ.
 */
async function insertIsolatingPoison(rows: EventRow[], good: Prepared<JsMsg>[], seqs: number[], held: Set<JsMsg>, d: BatchDeps): Promise<number> {
  try {
    await retrying(held, d, 'insert', () => timedInsert(rows, batchToken(EVENTS_STREAM, seqs), d), true);
    return rows.length;
  } catch (err) {
    if (!(err instanceof StorageError) || err.retryable) throw err;
    d.logger.log('warn', 'batch refused by ClickHouse, isolating the offending message', { err, messages: good.length });
  }
  const freshSet = new Set(rows);
  let inserted = 0;
  for (const p of good) {
    const own = p.rows.filter((r) => freshSet.has(r));
    if (own.length === 0) continue;
    try {
      await retrying(held, d, 'insert', () => timedInsert(own, batchToken(EVENTS_STREAM, [p.msg.seq]), d), true);
      inserted += own.length;
    } catch (err) {
      if (!(err instanceof StorageError) || err.retryable) throw err;
      await deadLetter(p.msg, `ClickHouse refused the rows: ${err.message}`, held, d);
    }
  }
  return inserted;
}

async function timedInsert(rows: EventRow[], token: string, d: BatchDeps): Promise<void> {
  const end = d.metrics.insertSeconds.startTimer();
  await d.storage.insert(EVENTS_TABLE, rows, { dedupToken: token, durable: true });
  end();
  d.metrics.inserts.inc();
  d.metrics.rows.inc(rows.length);
}

/**
 * Completes the inserts into `events` that a killed process or an abandoned batch left half-done
 * (some rollups without their rows), before the dedup reads `events`: otherwise the redelivered
 * messages would find their rows there and be dropped, and those rollups would stay short.
 */
export async function settleInterrupted(d: Pick<BatchDeps, 'storage' | 'logger'>): Promise<void> {
  const report = await d.storage.settle();
  if (report.completed > 0) d.logger.log('warn', 'interrupted inserts completed', { inserts: report.completed });
  for (const err of report.refused) d.logger.log('error', 'an interrupted insert was refused when run again; dropped', { err });
}

async function deadLetter(msg: JsMsg, reason: string, held: Set<JsMsg>, d: BatchDeps): Promise<void> {
  const h = natsHeaders();
  h.set('Pulse-Dlq-Reason', headerSafe(reason));
  h.set('Pulse-Source-Stream', EVENTS_STREAM);
  h.set('Pulse-Source-Seq', String(msg.seq));
  try {
    await d.js.publish(DLQ_AGGREGATOR_SUBJECT, msg.data, { headers: h, msgID: `aggregator-${msg.seq}` });
  } catch (err) {
    // Left held: it is nak'ed, comes back, and is dead-lettered again.
    d.logger.log('error', 'dlq publish failed', { seq: msg.seq, err });
    return;
  }
  msg.term();
  held.delete(msg);
  d.metrics.messages.inc({ outcome: 'dlq' });
  d.logger.log('warn', 'poison message sent to DLQ', { seq: msg.seq, reason });
}

/**
 * Runs `fn` until it succeeds, backing off and keeping `held` messages from being redelivered
 * meanwhile. With `onlyRetryable`, an error ClickHouse says is about the content is rethrown.
 */
async function retrying<T>(held: Set<JsMsg>, d: BatchDeps, what: string, fn: () => Promise<T>, onlyRetryable = false): Promise<T> {
  let delay = d.retryInitialMs;
  for (;;) {
    const started = performance.now();
    try {
      const out = await fn();
      d.metrics.stepSeconds.observe({ step: what }, (performance.now() - started) / 1000);
      d.onAttempt(undefined);
      return out;
    } catch (err) {
      if (onlyRetryable && err instanceof StorageError && !err.retryable) throw err;
      const outage = d.onAttempt(err, started) === true;
      d.metrics.failures.inc({ step: what });
      if (!outage) d.logger.log('warn', `${what} failed, retrying`, { err, retry_in_ms: delay, messages: held.size });
      if (d.stopping()) throw new BatchAbandonedError(err);
      // Sleep in slices so in-progress acks reach JetStream well within ack_wait.
      const until = Date.now() + delay * (0.5 + Math.random() / 2);
      for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
        await d.sleep(Math.min(left, d.ackWaitMs / 3));
        for (const m of held) m.working();
        if (d.stopping()) throw new BatchAbandonedError(err);
      }
      delay = Math.min(delay * 2, d.retryMaxMs);
    }
  }
}
