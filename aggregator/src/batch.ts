import { headers as natsHeaders, type JetStreamClient, type JsMsg } from 'nats';
import { DLQ_AGGREGATOR_SUBJECT, EVENTS_STREAM, StreamMessageError } from '@pulse/protocol';
import { decodeStreamMessage } from '@pulse/protocol/codec';
import { dropDuplicates } from './dedup.js';
import { AggregatorError, PoisonMessageError, StorageError } from './errors.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { recordToRows, type EventRow } from './rows.js';
import type { SaltSource } from './salt.js';
import type { SessionStore } from './sessions.js';
import type { SiteRules } from './site-rules.js';
import type { Storage } from './storage/types.js';
import { EVENTS_TABLE } from './storage/schema-events.js';
import { batchToken } from './token.js';

export interface BatchDeps {
  storage: Storage;
  js: JetStreamClient;
  salts: SaltSource;
  sessions: SessionStore;
  rules: SiteRules;
  metrics: Metrics;
  logger: Logger;
  retryInitialMs: number;
  retryMaxMs: number;
  ackWaitMs: number;
  stopping(): boolean;
  /** Called with the error of each failed attempt and with undefined after a success. */
  onAttempt(err: unknown): void;
}

/** Raised when a batch is abandoned because the aggregator is stopping; its messages were nak'ed. */
export class BatchAbandonedError extends AggregatorError {
  constructor(cause: unknown) {
    super('batch_abandoned', 'stopping while the batch could not be stored; messages left for redelivery', { cause });
  }
}

interface Prepared {
  msg: JsMsg;
  rows: EventRow[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Header values must be one line. */
function headerSafe(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

/**
 * Stores one fetched batch with exactly-once effect, then acks it:
 * decode + enrich (poison → DLQ + term) → drop excluded paths → drop events already stored
 * (client event id) → assign visits → one insert whose token derives from the stream sequences
 * → ack. Failures retry with backoff while the messages are kept alive; nothing is acked before
 * ClickHouse has the rows.
 */
export async function processBatch(msgs: JsMsg[], d: BatchDeps): Promise<{ rows: number }> {
  const held = new Set(msgs);
  try {
    const { good, poison } = await retrying(held, d, 'prepare', () => prepare(msgs, d));
    for (const p of poison) await deadLetter(p.msg, p.reason, held, d);

    let excluded = 0;
    for (const p of good) {
      const before = p.rows.length;
      p.rows = p.rows.filter((r) => !d.rules.excluded(r.site_id, r.path));
      excluded += before - p.rows.length;
    }
    d.metrics.excluded.inc(excluded);

    const all = good.flatMap((p) => p.rows);
    const { fresh, duplicates } = await retrying(held, d, 'dedup', () => dropDuplicates(all, d.storage));
    d.metrics.duplicates.inc(duplicates);
    await retrying(held, d, 'sessions', () => assignSessions(fresh, d.sessions));

    const seqs = good.map((p) => p.msg.seq);
    const inserted = fresh.length > 0 ? await insertIsolatingPoison(fresh, good, seqs, held, d) : 0;
    for (const p of good) {
      if (!held.has(p.msg)) continue;
      p.msg.ack();
      held.delete(p.msg);
      d.metrics.messages.inc({ outcome: 'stored' });
    }
    return { rows: inserted };
  } finally {
    // Anything still held (abandoned on stop, or an unexpected failure): redeliver it promptly.
    for (const m of held) m.nak();
  }
}

async function prepare(msgs: JsMsg[], d: BatchDeps): Promise<{ good: Prepared[]; poison: { msg: JsMsg; reason: string }[] }> {
  const good: Prepared[] = [];
  const poison: { msg: JsMsg; reason: string }[] = [];
  for (const msg of msgs) {
    try {
      const decoded = decodeStreamMessage(msg.data);
      const rows: EventRow[] = [];
      for (const record of decoded.records) {
        rows.push(...(await recordToRows(record, { seq: msg.seq, saltFor: (ms) => d.salts.saltFor(ms) })));
      }
      good.push({ msg, rows });
    } catch (err) {
      if (err instanceof PoisonMessageError || err instanceof StreamMessageError) {
        poison.push({ msg, reason: (err as Error).message });
        continue;
      }
      throw err;
    }
  }
  return { good, poison };
}

/** Rows without an SDK session id get the visit the shared 30-minute rule puts them in. */
async function assignSessions(rows: EventRow[], store: SessionStore): Promise<void> {
  const groups = new Map<string, EventRow[]>();
  for (const r of rows) {
    if (r.session_id !== '') continue;
    const k = `${r.site_id}\u0000${r.visitor_id}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const list = [...groups.values()];
  const CONCURRENCY = 64;
  for (let i = 0; i < list.length; i += CONCURRENCY) {
    await Promise.all(
      list.slice(i, i + CONCURRENCY).map(async (g) => {
        g.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        const first = g[0] as EventRow;
        const ids = await store.assign(first.site_id, first.visitor_id, g.map((r) => Date.parse(r.ts)));
        g.forEach((r, j) => (r.session_id = ids[j] ?? ''));
      }),
    );
  }
}

/**
 * One insert for the batch. If ClickHouse refuses it for its content (not availability), each
 * message is inserted alone so only the offending one goes to the DLQ.
 */
async function insertIsolatingPoison(rows: EventRow[], good: Prepared[], seqs: number[], held: Set<JsMsg>, d: BatchDeps): Promise<number> {
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
  await d.storage.insert(EVENTS_TABLE, rows, { dedupToken: token });
  end();
  d.metrics.inserts.inc();
  d.metrics.rows.inc(rows.length);
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
    try {
      const out = await fn();
      d.onAttempt(undefined);
      return out;
    } catch (err) {
      if (onlyRetryable && err instanceof StorageError && !err.retryable) throw err;
      d.onAttempt(err);
      d.metrics.failures.inc({ step: what });
      d.logger.log('warn', `${what} failed, retrying`, { err, retry_in_ms: delay, messages: held.size });
      if (d.stopping()) throw new BatchAbandonedError(err);
      // Sleep in slices so in-progress acks reach JetStream well within ack_wait.
      const until = Date.now() + delay * (0.5 + Math.random() / 2);
      for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
        await sleep(Math.min(left, d.ackWaitMs / 3));
        for (const m of held) m.working();
        if (d.stopping()) throw new BatchAbandonedError(err);
      }
      delay = Math.min(delay * 2, d.retryMaxMs);
    }
  }
}
