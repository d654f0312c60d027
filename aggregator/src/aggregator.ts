import type { JetStreamClient, JetStreamManager, JsMsg, KV } from 'nats';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM, KV_SITES, KV_STATE, within } from '@pulse/protocol';
import { openBucket } from '@pulse/protocol/streams';
import { SCRUB_LOCK_KEY, scrubArchive } from './archive-scrub.js';
import { natsLock, natsStoreLock, storeExclusively, type StoreLock } from './store-lock.js';
import { BatchAbandonedError, prepareBatch, releaseBatch, settleInterrupted, storeBatch, type BatchDeps, type HeldBatch } from './batch.js';
import { BatchReader, takeWaitMs } from './batch-reader.js';
import { resolveConfig, type AggregatorConfig, type AggregatorOptions } from './config.js';
import { AggregatorError } from './errors.js';
import { joinFence, type WriteFence } from './fence.js';
import { kvCasWriter, type KvCasWriter } from './kv-cas.js';
import { createMetrics, type Metrics } from './metrics.js';
import { NatsOutage } from './nats-outage.js';
import { kvSaltSource, type SaltSource } from './salt.js';
import { KV_SESSIONS, SESSION_STATE_TTL_MS, kvSessionStore, type SessionStore } from './sessions.js';
import { watchSiteRules, type SiteRules } from './site-rules.js';
import { measureLag, publishWatermark } from './watermark.js';
import { ddlContext, type DdlOptions } from './storage/ddl.js';
import { migrate } from './storage/migrations.js';
import { ensureConsumer, ensureStreams } from './streams.js';
import { checkShardedSettings } from './storage/settings.js';

/**
 * Batches larger than this are stored at once, not held while the next one is taken: two batches
 * of a million rows in memory at once (big collector messages make big batches) cost seconds of
 * GC pauses.
 */
export const PIPELINE_MAX_ROWS = 100_000;

export type AggregatorState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface AggregatorStatus {
  state: AggregatorState;
  /** Messages not yet delivered to any aggregator, as of the last consumer info. */
  pending: number;
  /** Delivered, not yet acked. */
  ackPending: number;
  /** Age of the oldest unfinished message in EVENTS (0 when caught up). */
  oldestUnprocessedAgeMs: number;
  /** Watermark: every event received before this ms epoch is queryable (null before the first measurement). */
  completeThrough: number | null;
  rowsInserted: number;
  lastInsertAt: number | null;
  /** Message of the last failed storage/NATS attempt, null once an attempt succeeded again. */
  lastError: string | null;
}

export interface Aggregator {
  start(): Promise<void>;
  /** Drains: no new fetches, the batch in flight is stored and acked (or left for redelivery). */
  stop(): Promise<void>;
  status(): AggregatorStatus;
  /** Ready = running, NATS answering a ping within READY_NATS_TIMEOUT_MS, ClickHouse answering. */
  ready(): Promise<boolean>;
  readonly metrics: Metrics;
}

/** How long readiness waits for NATS to answer a ping. */
export const READY_NATS_TIMEOUT_MS = 2_000;

/** True when `p` settles successfully within `ms`. */
function answersWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return within(p, ms, () => new Error(`no answer within ${ms} ms`)).then(
    () => true,
    () => false,
  );
}

export function createAggregator(options: AggregatorOptions): Aggregator {
  const cfg: AggregatorConfig = resolveConfig(options);
  const { nats, storage, logger } = cfg;
  const metrics = createMetrics({ defaultMetrics: cfg.defaultMetrics });
  // One line at each end of a NATS outage (periodic requests and the consume loop), not one per failed attempt.
  const outage = new NatsOutage({ logger, failures: metrics.natsFailures, unreachable: metrics.natsUnreachable });
  let state: AggregatorState = 'new';
  let loop: Promise<void> | undefined;
  let scrubbing: Promise<void> | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let salts: SaltSource;
  let sessions: SessionStore;
  let sessionWrites: KvCasWriter | undefined;
  let rules: SiteRules | undefined;
  let fence: WriteFence | undefined;
  let storeLock: StoreLock | undefined;
  let stateKv: KV;
  const st = {
    pending: 0,
    ackPending: 0,
    oldestUnprocessedAgeMs: 0,
    completeThrough: null as number | null,
    rowsInserted: 0,
    lastInsertAt: null as number | null,
    lastError: null as string | null,
  };

  const stopping = () => state === 'stopping' || state === 'stopped';
  /** Wakes every pending `sleep` when stop() begins: a stop never waits out a retry's backoff (up to retryMaxMs). */
  const sleepers = new Set<() => void>();
  const sleep = (ms: number): Promise<void> =>
    stopping()
      ? Promise.resolve()
      : new Promise((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            sleepers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, ms);
          sleepers.add(wake);
        });

  async function refreshLag(): Promise<void> {
    await outage.attempt(
      'lag',
      async () => {
        const lag = await measureLag(jsm, cfg.watermarkMarginMs);
        st.pending = lag.pending;
        st.ackPending = lag.ackPending;
        st.oldestUnprocessedAgeMs = lag.oldestAgeMs;
        st.completeThrough = lag.watermark.complete_through;
        metrics.pending.set(lag.pending);
        metrics.ackPending.set(lag.ackPending);
        metrics.oldestAge.set(lag.oldestAgeMs / 1000);
        metrics.completeThrough.set(lag.watermark.complete_through / 1000);
        await publishWatermark(stateKv, lag.watermark);
      },
      (err) => logger.log('warn', 'lag measurement failed', { err }),
    );
  }

  function batchDeps(): BatchDeps {
    return {
      storage,
      js,
      salts,
      sessions,
      rules: rules as SiteRules,
      fence: fence as WriteFence,
      storeLock,
      metrics,
      logger,
      retryInitialMs: cfg.retryInitialMs,
      retryMaxMs: cfg.retryMaxMs,
      ackWaitMs: cfg.ackWaitMs,
      maxDeliveries: cfg.maxDeliveries,
      stopping,
      sleep,
      onAttempt: (err, startedAt) => {
        st.lastError = err === undefined ? null : err instanceof Error ? err.message : String(err);
        // A batch step (visits, lock, salts) failing because NATS does not answer is part of the outage.
        return err !== undefined && startedAt !== undefined && outage.failure('batch', err, startedAt);
      },
    };
  }

  /**
   * Take, prepare, store, pipelined: batch n is stored (dedup and insert: mostly the engine's
   * threads) while batch n+1 is taken and prepared (decode, enrichment, visits: JavaScript) and
   * batch n−1 is archived and acked, so neither waits for the other and the pull for new events
   * never waits for an insert. Stores stay one after the other (the dedup reads what the batch
   * before stored).
   */
  async function run(): Promise<void> {
    let reader: BatchReader | undefined;
    let backoff = cfg.retryInitialMs;
    let carried: HeldBatch | undefined;
    let lastTaken = Date.now();
    // Archive-and-ack of stored batches still running; the next round waits for them.
    let tails: Promise<void>[] = [];
    const store = (b: HeldBatch, d: BatchDeps): Promise<void> =>
      keptAlive(b.msgs, async () => {
        const { rows, acked } = await storeBatch(b, d);
        st.rowsInserted += rows;
        if (rows > 0) st.lastInsertAt = Date.now();
        tails.push(keptAlive(b.msgs, () => acked));
      });
    const settleTails = async (): Promise<void> => {
      const waiting = tails;
      tails = [];
      const failed = (await Promise.allSettled(waiting)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const closeReader = async (): Promise<void> => {
      const r = reader;
      reader = undefined;
      if (!r) return;
      const released = await r.close();
      if (released > 0) logger.log('info', 'messages handed back for redelivery', { released });
    };
    while (!stopping()) {
      const began = outage.clock();
      try {
        if (!reader || reader.done) {
          await closeReader();
          await ensureConsumer(jsm, { ackWaitMs: cfg.ackWaitMs, maxAckPending: cfg.maxAckPending });
          reader = new BatchReader(nats, EVENTS_STREAM, AGGREGATOR_CONSUMER, cfg.pullMaxBytes);
        }
        const d = batchDeps();
        const previous = carried;
        carried = undefined;
        const r = reader;
        const archiving = settleTails();
        // Batch n stores while batch n+1 is taken and prepared: events that arrive during a store
        // are already being pulled, instead of waiting for it to end and then for the next pull.
        const next = (async () => {
          // N messages (or bytes) or the flush interval after the last batch closed, whichever
          // first: when storing the last batch took longer than the interval, what waited on the
          // server meanwhile is taken at once instead of after another interval.
          const msgs = await r.take(cfg.batchMaxMessages, takeWaitMs(lastTaken, Date.now(), cfg.flushIntervalMs));
          lastTaken = Date.now();
          return msgs.length > 0 ? keptAlive(msgs, () => prepareBatch(msgs, d)) : undefined;
        })();
        const [stored, prepared, archived] = await Promise.allSettled([previous ? store(previous, d) : Promise.resolve(), next, archiving]);
        const failed = [stored, archived].find((x) => x.status === 'rejected');
        if (failed) {
          if (prepared.status === 'fulfilled' && prepared.value) releaseBatch(prepared.value);
          throw failed.reason;
        }
        if (prepared.status === 'rejected') throw prepared.reason;
        if (prepared.value) {
          const rows = prepared.value.pre.good.reduce((n, p) => n + p.rows.length, 0);
          if (rows <= PIPELINE_MAX_ROWS && !stopping()) carried = prepared.value;
          else await store(prepared.value, d);
        }
        backoff = cfg.retryInitialMs;
      } catch (err) {
        if (carried) releaseBatch(carried);
        carried = undefined;
        if (err instanceof BatchAbandonedError) break;
        st.lastError = err instanceof Error ? err.message : String(err);
        // NATS out of reach is one outage (warn at its start, info at its end), however many
        // retries it takes; anything else (a missing consumer, ClickHouse) is logged at every
        // retry, as it needs looking at.
        if (!outage.failure('consume', err, began)) logger.log('error', 'consume loop failed, retrying', { err, retry_in_ms: backoff });
        await closeReader();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, cfg.retryMaxMs);
      }
    }
    // Draining: nothing more is taken; what the subscription holds goes back to the stream.
    await closeReader();
    // A batch prepared while the last one was stored is stored too (or redelivered).
    if (carried) {
      await store(carried, batchDeps()).catch((err: unknown) => {
        if (!(err instanceof BatchAbandonedError)) logger.log('error', 'last prepared batch not stored; left for redelivery', { err });
      });
    }
    await settleTails().catch((err: unknown) => {
      if (!(err instanceof BatchAbandonedError)) logger.log('error', 'stored batch not archived; left for redelivery', { err });
    });
  }

  const layout: DdlOptions = {
    ...(cfg.cluster !== undefined ? { cluster: cfg.cluster } : {}),
    ...(cfg.sharded ? { sharded: true } : {}),
    ...(cfg.database !== undefined ? { database: cfg.database } : {}),
  };

  /**
   * Rewrites archive rows written before the archive kept no IPs (archive-scrub.ts), beside live
   * ingestion; a failure is retried with backoff until it succeeds or the aggregator stops.
   */
  async function scrubInBackground(): Promise<void> {
    let delay = cfg.retryInitialMs;
    while (!stopping()) {
      try {
        await scrubArchive({
          storage,
          ddl: ddlContext(layout),
          stateKv,
          lock: () => natsLock(js, SCRUB_LOCK_KEY, { replicas: cfg.streamReplicas }),
          logger,
          chunkMessages: cfg.archiveScrubChunkMessages,
          pollMs: cfg.archiveScrubPollMs,
          stopping,
          sleep,
        });
        return;
      } catch (err) {
        logger.log('warn', 'archive scrub failed, retrying', { err, retry_in_ms: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, cfg.retryMaxMs);
      }
    }
  }

  /** Keeps a batch's messages from being redelivered while it is prepared or stored. */
  async function keptAlive<T>(msgs: readonly JsMsg[], fn: () => Promise<T>): Promise<T> {
    if (msgs.length === 0) return fn();
    const timer = setInterval(
      () => {
        for (const m of msgs) {
          try {
            m.working();
          } catch {
            // The connection is closing (or closed): the messages come back after ack_wait anyway,
            // and a throw here, in a timer, would end the process.
          }
        }
      },
      Math.max(1000, Math.floor(cfg.ackWaitMs / 3)),
    );
    try {
      return await fn();
    } finally {
      clearInterval(timer);
    }
  }

  return {
    metrics,

    async start() {
      if (state !== 'new') throw new AggregatorError('invalid_state', `start() called in state ${state}`);
      state = 'starting';
      try {
        jsm = await nats.jetstreamManager();
        js = nats.jetstream();
        if (cfg.storeLock === 'nats') storeLock = await natsStoreLock(js, { replicas: cfg.streamReplicas });
        if (cfg.sharded) await checkShardedSettings(storage);
        if (cfg.migrate) {
          // One aggregator at a time: two backfilling a new rollup at once would count history twice.
          const { applied } = await storeExclusively(storage, storeLock, () =>
            migrate(storage, { ...layout, ...(cfg.eventsTtlDays !== undefined ? { eventsTtlDays: cfg.eventsTtlDays } : {}) }),
          );
          if (applied.length > 0) logger.log('info', 'migrations applied', { applied });
        }
        // Before anything reads `events`; a failure here is retried before each batch's dedup.
        await settleInterrupted({ storage, logger }).catch((err: unknown) => logger.log('warn', 'completing interrupted inserts failed; retried with the first batch', { err }));
        await ensureStreams(jsm, { maxAgeMs: cfg.streamMaxAgeMs, replicas: cfg.streamReplicas });
        await ensureConsumer(jsm, { ackWaitMs: cfg.ackWaitMs, maxAckPending: cfg.maxAckPending });
        stateKv = await openBucket(js, KV_STATE, { history: 1, replicas: cfg.streamReplicas });
        // A salt must outlive the events that used it in the stream (replays recompute ids).
        salts = kvSaltSource(stateKv, cfg.streamMaxAgeMs + 24 * 60 * 60 * 1000, (err) =>
          logger.log('warn', 'salt pruning failed', { err }),
        );
        const sessionsKv = await openBucket(js, KV_SESSIONS, { history: 1, ttl: SESSION_STATE_TTL_MS, replicas: cfg.streamReplicas });
        sessionWrites = kvCasWriter(nats, KV_SESSIONS);
        sessions = kvSessionStore(sessionsKv, sessionWrites);
        rules = await watchSiteRules(await openBucket(js, KV_SITES, { history: 1, replicas: cfg.streamReplicas }), logger);
        fence = await joinFence(js, logger, cfg.streamReplicas, outage);
      } catch (err) {
        await rules?.stop();
        await fence?.stop();
        sessionWrites?.close();
        state = 'new';
        throw err;
      }
      state = 'running';
      await refreshLag();
      lagTimer = setInterval(() => void refreshLag(), cfg.lagRefreshMs);
      lagTimer.unref();
      loop = run();
      scrubbing = scrubInBackground();
      logger.log('info', 'aggregator started', { batch_max_messages: cfg.batchMaxMessages, flush_interval_ms: cfg.flushIntervalMs });
    },

    async stop() {
      if (state === 'stopped' || state === 'new') {
        state = 'stopped';
        return;
      }
      state = 'stopping';
      for (const wake of [...sleepers]) wake();
      if (lagTimer) clearInterval(lagTimer);
      await loop;
      // Between two chunks, or after a partition's merge: a scrub resumes at the next start.
      await scrubbing;
      await rules?.stop();
      await fence?.stop();
      sessionWrites?.close();
      // Acks are fire-and-forget publishes: make sure they left before the caller closes NATS.
      if (!nats.isClosed()) await nats.flush().catch(() => {});
      state = 'stopped';
      logger.log('info', 'aggregator stopped');
    },

    status() {
      return { state, ...st };
    },

    async ready() {
      if (state !== 'running' || nats.isClosed()) return false;
      // A frozen server keeps the connection open; only an unanswered ping tells.
      const [natsUp, storageUp] = await Promise.all([answersWithin(nats.flush(), READY_NATS_TIMEOUT_MS), storage.ping()]);
      return natsUp && storageUp;
    },
  };
}
