import { randomBytes } from 'node:crypto';
import type { JetStreamClient, JetStreamManager, NatsConnection, Subscription } from 'nats';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM, KV_SITES, KV_STATE } from '@pulse/protocol';
import { isNotFound, openBucket } from '@pulse/protocol/streams';
import { ConfigError, ReplayError, ReplayNotFoundError } from '../errors.js';
import { replaysKv } from '../fence.js';
import { jsonLogger, type Logger } from '../log.js';
import { watchSiteRules, type SiteRules } from '../site-rules.js';
import { ARCHIVE_TABLE } from '../storage/schema-archive.js';
import type { Storage } from '../storage/types.js';
import { readOnlySaltSource } from '../salt.js';
import { memorySessionStore } from './deps.js';
import { refuseShardedLayout } from './layout.js';
import { createReplayMetrics, type ReplayEndState, type ReplayMetrics } from './metrics.js';
import { runReplay } from './runner.js';
import { dropStaging, stagingFor, stagingIds } from './staging.js';
import { ReplayStore } from './store.js';
import type { ReplayRecord, ReplayRequest, ReplayStatus, ReplaySwappedEvent } from './types.js';

/** Messages per replay batch (one pipeline run and one staging insert each). */
export const DEFAULT_REPLAY_BATCH_MESSAGES = 1000;
/** How often a running replay persists its progress (its heartbeat) and looks for a cancel. */
export const DEFAULT_REPLAY_HEARTBEAT_MS = 1000;
/** A running replay without a heartbeat for this long is dead (its process was killed). */
export const DEFAULT_REPLAY_STALE_AFTER_MS = 15_000;
/** Longest a replay may hold the swap slot while copying live rows into staging. */
export const DEFAULT_SWAP_COPY_TTL_MS = 15 * 60 * 1000;
/** Longest live inserts may wait on a swap fence (should its holder die). */
export const DEFAULT_SWAP_FENCE_TTL_MS = 60_000;
/** How long a swap waits for every live aggregator to pause its inserts (> the member TTL). */
export const DEFAULT_SWAP_ACK_TIMEOUT_MS = 20_000;
/** Core NATS subject of `ReplaySwappedEvent` (JSON): every manager's `onSwapped` listeners hear it. */
export const REPLAY_SWAPPED_SUBJECT = 'pulse.replays.swapped';

export interface ReplayManagerOptions {
  nats: NatsConnection;
  storage: Storage;
  logger?: Logger;
  batchMaxMessages?: number;
  heartbeatMs?: number;
  staleAfterMs?: number;
  swapCopyTtlMs?: number;
  swapFenceTtlMs?: number;
  swapAckTimeoutMs?: number;
  /**
   * From `createReplayMetrics(registry)`, on the registry the process's `/metrics` serves (the query
   * API's `registry` option). Default: counted but not exported.
   */
  metrics?: ReplayMetrics;
  /** Called after any replay (of this process or another) replaced live data. */
  onSwapped?: (e: ReplaySwappedEvent) => void;
}

export interface ReplayManager {
  /** Starts a replay in this process; throws ReplayConflictError (`replay_conflict`) if one overlapping runs. */
  start(req: ReplayRequest): Promise<{ replay_id: string }>;
  /** Any replay's status, whichever process runs it; ReplayNotFoundError when unknown. */
  get(replayId: string): Promise<ReplayStatus>;
  /** Asks the replay to stop before its swap; it ends `failed` with error code `cancelled`. */
  cancel(replayId: string): Promise<ReplayStatus>;
  /** Resolves with the final status once the replay is no longer running. */
  wait(replayId: string, timeoutMs?: number): Promise<ReplayStatus>;
  onSwapped(listener: (e: ReplaySwappedEvent) => void): () => void;
  /** Cancels this process's running replays (live data untouched) and stops listening. */
  close(): Promise<void>;
}

interface Ctx {
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: ReplayStore;
  rules: SiteRules;
  salts: ReturnType<typeof readOnlySaltSource>;
  sub: Subscription;
}

const SITE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function int(field: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new ConfigError(field, `must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

function instant(field: string, v: unknown): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new ReplayError('invalid_range', `${field} must be an ISO-8601 instant or a ms epoch`);
  return ms;
}

/** Validates a request: [from, to) non-empty, not starting in the future, optional site id. */
export function parseReplayRequest(req: ReplayRequest, now = Date.now()): { fromMs: number; toMs: number; siteId: string | undefined } {
  if (!req || typeof req !== 'object') throw new ReplayError('invalid_range', 'a { from, to, site_id? } object is required');
  const fromMs = instant('from', req.from);
  const toMs = instant('to', req.to);
  if (fromMs >= toMs) throw new ReplayError('invalid_range', 'from must be before to');
  if (fromMs > now) throw new ReplayError('invalid_range', 'from is in the future');
  const siteId = req.site_id;
  if (siteId !== undefined && (typeof siteId !== 'string' || !SITE_ID.test(siteId))) {
    throw new ReplayError('invalid_range', 'site_id must be a site id');
  }
  return { fromMs, toMs, siteId };
}

/** The live consumer's ack floor: every message up to it was finished by live before we begin. */
async function cutSeq(jsm: JetStreamManager, storage: Storage): Promise<number> {
  try {
    return (await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER)).ack_floor.stream_seq;
  } catch {
    // No live consumer: whatever the stream or, failing that, the archive holds.
  }
  try {
    return (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  } catch {
    const [r] = await storage.query<{ s: number }>(`SELECT max(stream_seq) AS s FROM ${ARCHIVE_TABLE}`);
    return r?.s ?? 0;
  }
}

export function createReplayManager(o: ReplayManagerOptions): ReplayManager {
  if (!o || typeof o !== 'object') throw new ConfigError('options', 'an options object is required');
  if (!o.nats || typeof o.nats.jetstream !== 'function') throw new ConfigError('nats', 'a NatsConnection is required');
  if (!o.storage || typeof o.storage.insert !== 'function') throw new ConfigError('storage', 'a Storage is required');
  const { nats, storage } = o;
  const logger = o.logger ?? jsonLogger();
  const batchMaxMessages = int('batchMaxMessages', o.batchMaxMessages, DEFAULT_REPLAY_BATCH_MESSAGES, 1);
  const heartbeatMs = int('heartbeatMs', o.heartbeatMs, DEFAULT_REPLAY_HEARTBEAT_MS, 10);
  const staleAfterMs = int('staleAfterMs', o.staleAfterMs, DEFAULT_REPLAY_STALE_AFTER_MS, heartbeatMs * 3);
  const swap = {
    copyTtlMs: int('swapCopyTtlMs', o.swapCopyTtlMs, DEFAULT_SWAP_COPY_TTL_MS, 1000),
    fenceTtlMs: int('swapFenceTtlMs', o.swapFenceTtlMs, DEFAULT_SWAP_FENCE_TTL_MS, 1000),
    ackTimeoutMs: int('swapAckTimeoutMs', o.swapAckTimeoutMs, DEFAULT_SWAP_ACK_TIMEOUT_MS, 100),
  };
  if (o.metrics !== undefined && typeof (o.metrics as Partial<ReplayMetrics> | null)?.finished?.inc !== 'function') {
    throw new ConfigError('metrics', 'must come from createReplayMetrics()');
  }
  const metrics = o.metrics ?? createReplayMetrics();
  const listeners = new Set<(e: ReplaySwappedEvent) => void>();
  if (o.onSwapped) listeners.add(o.onSwapped);
  const local = new Map<string, { cancel: boolean; done: Promise<void> }>();
  let closing = false;
  let init: Promise<Ctx> | undefined;

  function ready(): Promise<Ctx> {
    init ??= (async () => {
      const js = nats.jetstream();
      const jsm = await nats.jetstreamManager();
      const store = new ReplayStore(await replaysKv(js), staleAfterMs);
      // Bound, never created: without the live pipeline's state (its daily salts) a replay would
      // mint new salts and count other visitors than live did; on a NATS no aggregator has used
      // (a wrong NATS_URL) it would write that over live data.
      await jsm.streams.info(`KV_${KV_STATE}`).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
        throw new ReplayError('no_pipeline_state', `this NATS has no ${KV_STATE} bucket: no aggregator has processed events through it, so there is nothing to replay (is it the pipeline's NATS?)`, { cause: err });
      });
      const salts = readOnlySaltSource(await js.views.kv(KV_STATE, { bindOnly: true }));
      const rules = await watchSiteRules(await openBucket(js, KV_SITES, { history: 1 }), logger);
      const sub = nats.subscribe(REPLAY_SWAPPED_SUBJECT, {
        callback: (err, m) => {
          if (err) return;
          let e: ReplaySwappedEvent;
          try {
            e = JSON.parse(new TextDecoder().decode(m.data)) as ReplaySwappedEvent;
          } catch {
            return;
          }
          for (const l of listeners) {
            try {
              l(e);
            } catch (lerr) {
              logger.log('warn', 'replay swapped listener failed', { err: lerr });
            }
          }
        },
      });
      await nats.flush();
      return { js, jsm, store, rules, salts, sub };
    })();
    init.catch(() => (init = undefined));
    return init;
  }

  /** Staging tables of replays that are no longer running (a killed process leaves them). */
  async function collectGarbage(ctx: Ctx): Promise<void> {
    for (const id of await stagingIds(storage)) {
      if (local.has(id) || (await ctx.store.isAlive(id))) continue;
      await dropStaging(storage, stagingFor(id)).catch((err: unknown) => logger.log('warn', 'staging cleanup failed', { replay_id: id, err }));
    }
  }

  function launch(ctx: Ctx, rec: ReplayRecord): void {
    const entry = { cancel: false, done: Promise.resolve() };
    const series = { replay_id: rec.replay_id };
    let ended: ReplayEndState = 'failed';
    metrics.running.inc();
    metrics.progress.set(series, rec.progress);
    let writing: Promise<void> = Promise.resolve();
    const persist = () => {
      const snapshot = { ...rec, source: { ...rec.source }, heartbeat_ms: Date.now(), updated_at: new Date().toISOString() };
      writing = writing.then(() => ctx.store.put(snapshot)).catch((err: unknown) => logger.log('warn', 'replay state write failed', { replay_id: rec.replay_id, err }));
      return writing;
    };
    const timer = setInterval(() => {
      metrics.progress.set(series, rec.progress);
      void persist();
      void ctx.store.cancelRequested(rec.replay_id).then(
        (c) => (entry.cancel ||= c),
        () => {},
      );
    }, heartbeatMs);
    entry.done = (async () => {
      try {
        await runReplay({
          js: ctx.js,
          jsm: ctx.jsm,
          storage,
          salts: ctx.salts,
          sessions: memorySessionStore(),
          rules: ctx.rules,
          logger,
          batchMaxMessages,
          swap,
          rec,
          metrics,
          cancelled: () => entry.cancel || closing,
        });
        rec.state = 'done';
        rec.phase = 'done';
        ended = 'done';
        const event: ReplaySwappedEvent = { replay_id: rec.replay_id, from: rec.from, to: rec.to, ...(rec.site_id !== undefined ? { site_id: rec.site_id } : {}) };
        nats.publish(REPLAY_SWAPPED_SUBJECT, new TextEncoder().encode(JSON.stringify(event)));
        logger.log('info', 'replay done', { replay_id: rec.replay_id, events: rec.events_done, rows: rec.rows_staged, rate: rec.rate });
      } catch (err) {
        rec.state = 'failed';
        rec.phase = 'failed';
        const code = err instanceof ReplayError ? err.code : 'replay_failed';
        rec.error = { code, message: err instanceof Error ? err.message : String(err) };
        if (code === 'cancelled') ended = 'cancelled';
        logger.log(code === 'cancelled' ? 'info' : 'error', 'replay failed', { replay_id: rec.replay_id, err });
      } finally {
        clearInterval(timer);
        metrics.running.dec();
        metrics.progress.remove(series);
        metrics.finished.inc({ state: ended });
        rec.finished_at = new Date().toISOString();
        await persist();
        await ctx.store.unclaim(rec.replay_id).catch(() => {});
        local.delete(rec.replay_id);
      }
    })();
    local.set(rec.replay_id, entry);
  }

  const manager: ReplayManager = {
    async start(req) {
      if (closing) throw new ReplayError('closed', 'the replay manager is closed');
      const { fromMs, toMs, siteId } = parseReplayRequest(req);
      const ctx = await ready();
      await refuseShardedLayout(storage);
      // An insert a killed aggregator left half-done is completed before anything is read or
      // swapped: completed after a swap, it would add its rows on top of the replayed ones.
      const settled = await storage.settle();
      for (const err of settled.refused) logger.log('error', 'an interrupted insert was refused when run again; dropped', { err });
      const replayId = `rp_${randomBytes(8).toString('hex')}`;
      const now = new Date().toISOString();
      const rec: ReplayRecord = {
        replay_id: replayId,
        state: 'running',
        phase: 'reading',
        progress: 0,
        events_done: 0,
        messages_done: 0,
        messages_total: 0,
        rate: 0,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        ...(siteId !== undefined ? { site_id: siteId } : {}),
        source: { stream: 0, archive: 0 },
        rows_staged: 0,
        started_at: now,
        updated_at: now,
        heartbeat_ms: Date.now(),
        cut_seq: await cutSeq(ctx.jsm, storage),
      };
      // Recorded first so a concurrent start sees this one alive while it checks overlaps.
      await ctx.store.put(rec);
      try {
        await ctx.store.claim({ replay_id: replayId, from: fromMs, to: toMs, ...(siteId !== undefined ? { site_id: siteId } : {}) });
      } catch (err) {
        await ctx.store.remove(replayId);
        throw err;
      }
      await collectGarbage(ctx);
      launch(ctx, rec);
      return { replay_id: replayId };
    },

    async get(replayId) {
      const ctx = await ready();
      const rec = typeof replayId === 'string' && /^rp_[0-9a-f]{16}$/.test(replayId) ? await ctx.store.record(replayId) : undefined;
      if (!rec) throw new ReplayNotFoundError(String(replayId));
      return ctx.store.view(rec);
    },

    async cancel(replayId) {
      const status = await manager.get(replayId);
      if (status.state !== 'running') return status;
      const mine = local.get(replayId);
      if (mine) mine.cancel = true;
      else await (await ready()).store.requestCancel(replayId);
      return status;
    },

    async wait(replayId, timeoutMs = 10 * 60 * 1000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        await local.get(replayId)?.done;
        const s = await manager.get(replayId);
        if (s.state !== 'running') return s;
        if (Date.now() > until) throw new ReplayError('timeout', `replay ${replayId} still running after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },

    onSwapped(listener) {
      listeners.add(listener);
      void ready().catch((err: unknown) => logger.log('warn', 'replay manager not ready', { err }));
      return () => listeners.delete(listener);
    },

    async close() {
      closing = true;
      await Promise.all([...local.values()].map((e) => e.done));
      if (init) {
        const ctx = await init.catch(() => undefined);
        if (ctx) {
          await ctx.rules.stop();
          if (!nats.isClosed()) ctx.sub.unsubscribe();
        }
      }
    },
  };
  return manager;
}
