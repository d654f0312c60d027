import type { JetStreamClient, JetStreamManager } from 'nats';
import { MAX_EVENT_FUTURE_MS, DEFAULT_MAX_EVENT_AGE_MS } from '@pulse/protocol';
import { ReplayError } from '../errors.js';
import { acquireSwapSlot } from '../fence.js';
import type { Logger } from '../log.js';
import { runPipeline } from '../pipeline.js';
import type { SaltSource } from '../salt.js';
import { SESSION_STATE_TTL_MS, type SessionStore } from '../sessions.js';
import type { SiteRules } from '../site-rules.js';
import type { Storage } from '../storage/types.js';
import { batchToken } from '../token.js';
import { DEFAULT_WATERMARK_MARGIN_MS } from '../watermark.js';
import { planSource, readSource } from './source.js';
import { copyLiveDelta, copyLiveKept, createStaging, dropStaging, monthPartitions, replacePartitions, stagingFor, type ReplaySlice } from './staging.js';
import type { ReplayMetrics } from './metrics.js';
import type { ReplayRecord } from './types.js';

/**
 * How far before `from` reading starts: an event of the range may have reached the stream up to
 * 5 minutes before its time (clock correction limit) plus the collector's publish margin, and the
 * visits open at `from` need the visitor's earlier events (a visit state lives 2 h) to get the
 * same ids live gave them.
 */
export const REPLAY_LEAD_MS = MAX_EVENT_FUTURE_MS + DEFAULT_WATERMARK_MARGIN_MS + SESSION_STATE_TTL_MS;
/** After `to`, events of the range can still arrive this late (the accepted event age + margin). */
export const REPLAY_TAIL_MS = DEFAULT_MAX_EVENT_AGE_MS + DEFAULT_WATERMARK_MARGIN_MS;
/** Share of `progress` given to reading; the swap takes the rest. */
const READ_SHARE = 0.9;
/** Progress moves once a batch: a short replay reads in this many batches at least... */
export const REPLAY_PROGRESS_STEPS = 10;
/** ...of at least this many messages (each batch is one staging insert). */
export const REPLAY_MIN_BATCH = 50;

/** Messages per batch: the configured size, smaller when that would read a short replay in one go. */
export function replayBatchSize(totalMessages: number, maxMessages: number): number {
  return Math.min(maxMessages, Math.max(REPLAY_MIN_BATCH, Math.ceil(totalMessages / REPLAY_PROGRESS_STEPS)));
}

export interface RunDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  storage: Storage;
  salts: SaltSource;
  sessions: SessionStore;
  rules: SiteRules;
  logger: Logger;
  batchMaxMessages: number;
  swap: { copyTtlMs: number; fenceTtlMs: number; ackTimeoutMs: number };
  /** The record to keep current: the heartbeat persists it. */
  rec: ReplayRecord;
  metrics: ReplayMetrics;
  cancelled(): boolean;
}

function checkCancel(d: RunDeps): void {
  if (d.cancelled()) throw new ReplayError('cancelled', 'replay cancelled; live data is unchanged');
}

/**
 * Reads the window through the live pipeline into staging, then swaps the affected partitions.
 * Until the swap begins nothing live is touched: failing or cancelling leaves live data as it was.
 */
export async function runReplay(d: RunDeps): Promise<void> {
  const { rec, storage } = d;
  const fromMs = Date.parse(rec.from);
  const toMs = Date.parse(rec.to);
  const siteId = rec.site_id;
  const staging = stagingFor(rec.replay_id);
  await createStaging(storage, staging);
  let inflight: { done: Promise<unknown>; keys: Set<string> } | undefined;
  try {
    const bounds = { fromTime: fromMs - REPLAY_LEAD_MS, untilTime: toMs + REPLAY_TAIL_MS, cutSeq: rec.cut_seq };
    const plan = await planSource(d.jsm, storage, { ...bounds, batch: d.batchMaxMessages });
    const window = { ...bounds, batch: replayBatchSize(plan.total, d.batchMaxMessages) };
    rec.messages_total = plan.total;
    const startedAt = Date.now();
    const refresh = () => {
      const elapsed = Math.max(0.001, (Date.now() - startedAt) / 1000);
      rec.rate = Math.round(rec.events_done / elapsed);
      const frac = rec.messages_total > 0 ? Math.min(1, rec.messages_done / rec.messages_total) : 1;
      rec.progress = Math.round(frac * READ_SHARE * 1000) / 1000;
      if (rec.messages_done > 0 && frac > 0) {
        rec.events_total = Math.round(rec.events_done / frac);
        rec.eta_seconds = Math.round(((elapsed / frac) * (1 - frac)) / READ_SHARE);
      }
    };
    const source = readSource(d.js, storage, window, plan, (firstSeq) => {
      // The ordered consumer found the real start: refine the estimate.
      rec.messages_total = Math.max(rec.messages_done, plan.archiveCount + rec.cut_seq - firstSeq + 1);
    });
    // One staging insert stays in flight while the next batch is read and processed (chDB
    // parses off the JS thread). The next batch's dedup cannot see the rows in flight yet, so
    // those are checked here; older batches are in the staging table.
    for await (const batch of source) {
      checkCancel(d);
      const out = await runPipeline(batch.msgs, {
        storage,
        salts: d.salts,
        sessions: d.sessions,
        rules: d.rules,
        dedupTable: staging.events,
        step: (_name, fn) => fn(),
      });
      const rows = out.fresh.filter((r) => {
        const t = r.ts;
        return t >= fromMs && t < toMs && (siteId === undefined || r.site_id === siteId) && !inflight?.keys.has(`${r.site_id}\u0000${r.event_id}`);
      });
      await inflight?.done;
      inflight = undefined;
      if (rows.length > 0) {
        const token = batchToken(`REPLAY:${rec.replay_id}`, batch.msgs.map((m) => m.seq));
        const done = storage.insert(staging.events, rows, { dedupToken: token });
        // Observed at the next await; marked handled meanwhile so a failure is not reported twice.
        done.catch(() => {});
        inflight = { done, keys: new Set(rows.map((r) => `${r.site_id}\u0000${r.event_id}`)) };
      }
      const events = out.good.reduce((n, p) => n + p.rows.length, 0) + out.excluded;
      rec.messages_done += batch.msgs.length;
      rec.events_done += events;
      rec.rows_staged += rows.length;
      rec.source[batch.from] += batch.msgs.length;
      d.metrics.events.inc(events);
      d.metrics.messages.inc({ source: batch.from }, batch.msgs.length);
      d.metrics.rowsStaged.inc(rows.length);
      refresh();
    }
    await inflight?.done;
    rec.messages_total = rec.messages_done;
    refresh();
    checkCancel(d);

    rec.phase = 'swapping';
    await swap(d, { fromMs, toMs, siteId, cutSeq: rec.cut_seq, partitions: monthPartitions(fromMs, toMs) }, staging);
    rec.progress = 1;
    rec.eta_seconds = 0;
  } finally {
    await inflight?.done.catch(() => {});
    await dropStaging(storage, staging).catch((err: unknown) => d.logger.log('warn', 'staging cleanup failed', { replay_id: rec.replay_id, err }));
  }
}

async function swap(d: RunDeps, slice: ReplaySlice, staging: ReturnType<typeof stagingFor>): Promise<void> {
  const slot = await acquireSwapSlot(d.js, { replayId: d.rec.replay_id, ...d.swap, cancelled: d.cancelled });
  try {
    checkCancel(d);
    await copyLiveKept(d.storage, staging, slice);
    checkCancel(d);
    const t0 = Date.now();
    await slot.raise();
    await copyLiveDelta(d.storage, staging, slice);
    // Never start replacing with less time left than a swap takes: a late fence could expire mid-swap.
    if (slot.remainingMs() < d.swap.fenceTtlMs / 3) {
      throw new ReplayError('fence_timeout', 'the swap fence is about to expire; live data is unchanged, run the replay again');
    }
    await replacePartitions(d.storage, staging, slice.partitions);
    d.logger.log('info', 'replay swapped', { replay_id: d.rec.replay_id, partitions: slice.partitions, fence_ms: Date.now() - t0 });
  } finally {
    await slot.release();
  }
}
