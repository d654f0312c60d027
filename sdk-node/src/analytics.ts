import { MAX_EVENT_BYTES, PAGEVIEW } from '@pulse/protocol';
import { retryDelay, parseRetryAfter } from './backoff.js';
import { BODY_OVERHEAD_BYTES, decodeEvent, encodeBody } from './encode.js';
import { Emitter } from './emitter.js';
import {
  ClosedError,
  ConfigError,
  DeliveryError,
  EventsRejectedError,
  PulseError,
  QueueOverflowError,
  type ServerReply,
} from './errors.js';
import { installExitHooks } from './exit.js';
import { resolveOptions, type AnalyticsOptions, type ResolvedOptions } from './options.js';
import { prepareEvent } from './prepare.js';
import { EventQueue } from './queue.js';
import { createTransport } from './runtime.js';
import type { HttpReply, Transport } from './transport.js';
import type { CloseResult, PageviewEvent, QueuedEvent, Rejection, Stats, TrackEvent } from './types.js';
import { SDK_VERSION } from './version.js';

interface Batch {
  items: Uint8Array[];
  bytes: number;
  /** Sequence number of the first event; the batch holds seq .. seq + items.length - 1. */
  seq: number;
  controller: AbortController;
  done: Promise<void>;
  /** Set while the batch sleeps on its own backoff (not on a server's Retry-After): ends the sleep. */
  wake: (() => void) | undefined;
}

type Counters = Omit<Stats, 'queued' | 'inFlight'>;

/**
 * The Pulse server SDK. `track` stamps an id and a time, encodes the event once and
 * queues it; batches go out when `flushAt` events wait, after `flushIntervalMs`, on
 * `flush()` and on `close()`, each cut to the protocol limits and retried until the
 * collector answers for it.
 */
export class Analytics extends Emitter {
  private readonly opts: ResolvedOptions;
  private readonly queue: EventQueue;
  private readonly transport: Transport;
  private readonly headers: Record<string, string>;
  private readonly inFlight = new Set<Batch>();
  private readonly counters: Counters = { delivered: 0, rejected: 0, failed: 0, dropped: 0, retries: 0, requests: 0 };
  private readonly maxEventBytes: number;
  /** Every event with a smaller sequence number is sent without waiting for flushAt. */
  private drainTarget = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Set by close(): no event is accepted any more. */
  private closed = false;
  private closing: Promise<CloseResult> | undefined;
  /** Set when close() gave up: no batch starts any more. */
  private stopped = false;
  /** Undelivered events of batches that failed or were cut short during close(). */
  private closeUnsent: Uint8Array[] = [];
  /** Events close() cut short or left queued: in closeUnsent, but not reported by any error. */
  private closeUnreported: Uint8Array[] = [];
  /** Set when the exit hooks run close(): then nobody sees CloseResult, so losses are reported. */
  private exiting = false;
  private overflowDrops = 0;
  private overflowTotal = 0;
  private closedDrops = 0;
  private dropReportScheduled = false;
  private readonly uninstallExitHooks: () => void;

  constructor(options: AnalyticsOptions) {
    super();
    this.opts = resolveOptions(options);
    this.queue = new EventQueue(this.opts.maxQueueSize);
    this.transport = createTransport(this.opts.transport, this.opts.maxInFlight);
    // The collector measures an event without its msgpack keys and headers, so the encoded
    // size runs larger; the client only refuses what could never fit a batch or pass there.
    this.maxEventBytes = Math.min(this.opts.maxBatchBytes - BODY_OVERHEAD_BYTES, 2 * MAX_EVENT_BYTES);
    this.headers = {
      'content-type': 'application/msgpack',
      authorization: `Bearer ${this.opts.writeKey}`,
      'user-agent': `pulse-sdk-node/${SDK_VERSION}`,
    };
    // An adapter, so closeOnExit stays off the public API.
    const hooked = { hasPending: () => this.hasPending(), closeOnExit: (ms: number) => this.closeOnExit(ms) };
    this.uninstallExitHooks = installExitHooks(hooked, {
      flushOnExit: this.opts.flushOnExit,
      handleSignals: this.opts.handleSignals,
      timeoutMs: this.opts.closeTimeoutMs,
    });
  }

  /**
   * Queues an event and returns its id (the one given, or a new UUID). Never throws:
   * an event that cannot be sent is reported as an EventsRejectedError; after close()
   * the event is dropped and reported as a ClosedError.
   */
  track(event: TrackEvent): string {
    const p = prepareEvent(event, this.maxEventBytes);
    if ('reason' in p) {
      this.counters.rejected++;
      this.report(new EventsRejectedError('client', [{ id: p.id, reason: p.reason, event: p.event }]));
      return p.id;
    }
    if (this.closed) {
      this.counters.dropped++;
      this.closedDrops++;
      this.scheduleDropReport();
      return p.id;
    }
    if (this.queue.push(p.bytes) !== undefined) {
      this.counters.dropped++;
      this.overflowDrops++;
      this.overflowTotal++;
      this.scheduleDropReport();
    }
    if (this.queue.length >= this.opts.flushAt) this.pump();
    else if (this.timer === undefined) this.armTimer();
    return p.id;
  }

  /** A page view: `track({ ...event, name: "pageview" })`. */
  pageview(event: PageviewEvent): string {
    return this.track({ ...event, name: PAGEVIEW });
  }

  /**
   * Sends everything tracked so far and resolves once each of those events is
   * delivered, rejected, given up on or dropped. Outcomes are reported as events;
   * with the collector down this lasts as long as the retries do (see close()).
   */
  flush(): Promise<void> {
    const target = this.queue.tailSeq;
    if (this.lowestUnsettled() >= target) return Promise.resolve();
    this.drainTarget = Math.max(this.drainTarget, target);
    const done = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    this.pump();
    return done;
  }

  /**
   * Stops accepting events, sends what is queued, and returns within `timeoutMs`
   * (default closeTimeoutMs) with what could not be delivered. Calling it again
   * returns the same result.
   */
  close(options: { timeoutMs?: number | undefined } = {}): Promise<CloseResult> {
    if (this.closing) return this.closing;
    const timeoutMs = options.timeoutMs ?? this.opts.closeTimeoutMs;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new ConfigError('timeoutMs', `must be a number ≥ 0, got ${String(timeoutMs)}`);
    }
    this.closed = true;
    this.closing = this.shutDown(timeoutMs);
    return this.closing;
  }

  stats(): Stats {
    let inFlight = 0;
    for (const b of this.inFlight) inFlight += b.items.length;
    return { queued: this.queue.length, inFlight, ...this.counters };
  }

  /** True while events wait in the queue or in a batch. */
  hasPending(): boolean {
    return this.queue.length > 0 || this.inFlight.size > 0;
  }

  private async shutDown(timeoutMs: number): Promise<CloseResult> {
    this.uninstallExitHooks();
    this.disarmTimer();
    const deliveredBefore = this.counters.delivered;
    this.drainTarget = Number.POSITIVE_INFINITY;
    const target = this.queue.tailSeq;
    const settled = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    this.pump();
    this.settleWaiters();
    // A batch backing off for longer than close() may wait gets its next attempt now;
    // a Retry-After is the server's request and is kept.
    for (const b of this.inFlight) b.wake?.();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.stopped = true;
    if (timedOut) {
      const reason = new PulseError('close_timeout', `close() ran out of its ${timeoutMs} ms`);
      const pending = [...this.inFlight];
      for (const b of pending) b.controller.abort(reason);
      await Promise.all(pending.map((b) => b.done));
    }
    const left = this.queue.drain();
    const unsent = [...this.closeUnsent, ...left];
    const unreported = [...this.closeUnreported, ...left];
    this.closeUnsent = [];
    this.closeUnreported = [];
    // Emptying the queue settles every flush() still waiting: nothing will send those events now.
    this.settleWaiters();
    this.transport.close();
    if (this.exiting) this.reportLostOnExit(unreported, timeoutMs);
    return {
      timedOut,
      delivered: this.counters.delivered - deliveredBefore,
      unsent: unsent.map((b) => decodeEvent(b) as unknown as QueuedEvent),
    };
  }

  private pump(): void {
    if (this.stopped) return;
    const { queue } = this;
    while (
      this.inFlight.size < this.opts.maxInFlight &&
      queue.length > 0 &&
      (queue.length >= this.opts.flushAt || queue.headSeq < this.drainTarget)
    ) {
      this.startBatch();
    }
    if (queue.length === 0) this.disarmTimer();
    else if (this.timer === undefined && !this.closed) this.armTimer();
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drainTarget = Math.max(this.drainTarget, this.queue.tailSeq);
      this.pump();
    }, this.opts.flushIntervalMs);
    // Queued events alone must not keep the process up; 'beforeExit' sends them (flushOnExit).
    this.timer.unref?.();
  }

  private disarmTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startBatch(): void {
    const { queue } = this;
    const seq = queue.headSeq;
    const limit = this.opts.maxBatchBytes - BODY_OVERHEAD_BYTES;
    const items: Uint8Array[] = [];
    let bytes = 0;
    while (items.length < this.opts.maxBatchEvents) {
      const next = queue.peek();
      if (next === undefined || (items.length > 0 && bytes + next.length > limit)) break;
      queue.shift();
      items.push(next);
      bytes += next.length;
    }
    const batch: Batch = { items, bytes, seq, controller: new AbortController(), done: Promise.resolve(), wake: undefined };
    this.inFlight.add(batch);
    batch.done = this.deliver(batch)
      .catch((e: unknown) => this.fail(batch, 'retries_exhausted', `unexpected: ${String(e)}`, 0, undefined, e))
      .finally(() => {
        this.inFlight.delete(batch);
        this.settleWaiters();
        this.pump();
      });
  }

  private async deliver(batch: Batch): Promise<void> {
    const o = this.opts;
    const signal = batch.controller.signal;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return this.abandon(batch);
      const body = encodeBody(batch.items, batch.bytes, Date.now());
      let reply: HttpReply | undefined;
      let error: unknown;
      this.counters.requests++;
      try {
        reply = await this.postOnce(body, signal);
      } catch (e) {
        error = e;
      }
      if (signal.aborted) return this.abandon(batch);
      if (reply !== undefined && reply.status >= 200 && reply.status < 300) return this.accept(batch, reply, attempt, body.length);

      const server = reply === undefined ? undefined : readErrorReply(reply);
      // 408: the collector timed out reading a slow body (body_timeout); the next try may be quicker.
      const retryable = reply === undefined || reply.status >= 500 || reply.status === 429 || reply.status === 408;
      if (!retryable) {
        const s = server as ServerReply;
        return this.fail(batch, 'request_rejected', `collector refused the batch: ${s.status} ${s.code} ${s.message}`.trim(), attempt, s);
      }
      const what = server ? `${server.status} ${server.code} ${server.message}`.trim() : `network error: ${errorMessage(error)}`;
      if (attempt > o.maxRetries) {
        return this.fail(batch, 'retries_exhausted', `gave up after ${attempt} attempts, last: ${what}`, attempt, server, error);
      }
      const retryAfterMs = reply === undefined ? undefined : parseRetryAfter(reply.retryAfter);
      const delayMs = retryDelay(attempt, retryAfterMs, o);
      this.counters.retries++;
      this.emit('retry', {
        attempt,
        delayMs,
        status: reply?.status,
        retryAfterMs,
        error: error instanceof Error ? error : undefined,
        events: batch.items.length,
      });
      const wakeable = retryAfterMs === undefined && !this.closed;
      await sleep(delayMs, signal, wakeable ? (wake) => (batch.wake = wake) : undefined);
      batch.wake = undefined;
    }
  }

  private async postOnce(body: Uint8Array, batchSignal: AbortSignal): Promise<HttpReply> {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(batchSignal.reason);
    batchSignal.addEventListener('abort', onAbort);
    const ms = this.opts.requestTimeoutMs;
    const timer = setTimeout(() => ac.abort(new PulseError('request_timeout', `no answer within ${ms} ms`)), ms);
    try {
      return await this.transport.post(this.opts.endpoint, this.headers, body, ac.signal);
    } finally {
      clearTimeout(timer);
      batchSignal.removeEventListener('abort', onAbort);
    }
  }

  private accept(batch: Batch, reply: HttpReply, attempts: number, bytes: number): void {
    let accepted = batch.items.length;
    let rejected: Array<{ index: number; reason: string }> = [];
    try {
      const parsed = JSON.parse(reply.body) as { accepted?: unknown; rejected?: unknown };
      if (Array.isArray(parsed.rejected)) {
        rejected = parsed.rejected
          .filter((r): r is { index: number; reason: unknown } => typeof r === 'object' && r !== null && typeof r.index === 'number')
          .map((r) => ({ index: r.index, reason: String(r.reason) }));
      }
      accepted = typeof parsed.accepted === 'number' ? parsed.accepted : batch.items.length - rejected.length;
    } catch {
      // A 2xx without a JSON body (a proxy, an older collector): the batch is in.
    }
    this.counters.delivered += accepted;
    this.counters.rejected += rejected.length;
    if (rejected.length > 0) {
      const rejections: Rejection[] = rejected.map((r) => {
        const bytes = batch.items[r.index];
        const event = bytes === undefined ? {} : decodeEvent(bytes);
        return { id: typeof event.id === 'string' ? event.id : '', reason: r.reason, event };
      });
      this.report(new EventsRejectedError('server', rejections));
    }
    this.emit('delivered', { events: batch.items.length, accepted, rejected: rejected.length, attempts, bytes });
  }

  private fail(
    batch: Batch,
    code: 'request_rejected' | 'retries_exhausted',
    message: string,
    attempts: number,
    reply: ServerReply | undefined,
    cause?: unknown,
  ): void {
    this.counters.failed += batch.items.length;
    if (this.closed) this.closeUnsent.push(...batch.items);
    const events = batch.items.map(decodeEvent);
    this.report(new DeliveryError(code, message, events, attempts, reply, { cause }));
  }

  /** close() ran out of time: the events go back to the caller in CloseResult.unsent. */
  private abandon(batch: Batch): void {
    this.closeUnsent.push(...batch.items);
    this.closeUnreported.push(...batch.items);
  }

  /** close() run by the exit hooks (flushOnExit, handleSignals). */
  private closeOnExit(timeoutMs: number): Promise<CloseResult> {
    if (!this.closing) this.exiting = true;
    return this.close({ timeoutMs });
  }

  /**
   * No caller receives the exit flush's CloseResult: what it left unsent (and no
   * DeliveryError reported already) is counted as dropped and reported, like any other loss.
   */
  private reportLostOnExit(lost: Uint8Array[], timeoutMs: number): void {
    if (lost.length === 0) return;
    this.counters.dropped += lost.length;
    const message = `process exiting: ${lost.length} event(s) not delivered within the exit flush's ${timeoutMs} ms (closeTimeoutMs)`;
    this.report(new DeliveryError('aborted', message, lost.map(decodeEvent), 0, undefined));
  }

  private lowestUnsettled(): number {
    let low = this.queue.headSeq;
    for (const b of this.inFlight) if (b.seq < low) low = b.seq;
    return low;
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const low = this.lowestUnsettled();
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.target <= low) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Drops come in floods (a queue full for minutes): one report per tick, with the count. */
  private scheduleDropReport(): void {
    if (this.dropReportScheduled) return;
    this.dropReportScheduled = true;
    queueMicrotask(() => {
      this.dropReportScheduled = false;
      if (this.overflowDrops > 0) {
        const n = this.overflowDrops;
        this.overflowDrops = 0;
        this.report(new QueueOverflowError(n, this.overflowTotal, this.opts.maxQueueSize));
      }
      if (this.closedDrops > 0) {
        const n = this.closedDrops;
        this.closedDrops = 0;
        this.report(new ClosedError(n));
      }
      // Dropping moves the queue head: a flush may be complete now.
      this.settleWaiters();
    });
  }

  private report(error: PulseError): void {
    const onError = this.opts.onError;
    if (onError) {
      try {
        onError(error);
      } catch (e) {
        console.error('[pulse] onError threw:', e);
      }
    }
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else if (!onError) console.warn(`[pulse] ${error.name} (${error.code}): ${error.message}`);
  }
}

function readErrorReply(reply: HttpReply): ServerReply {
  let code = '';
  let message = '';
  try {
    const parsed = JSON.parse(reply.body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    message = reply.body.slice(0, 200);
  }
  return { status: reply.status, code, message };
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const causeCode = (e.cause as { code?: unknown } | undefined)?.code;
    return [e.message, typeof code === 'string' ? code : typeof causeCode === 'string' ? causeCode : ''].filter(Boolean).join(' ');
  }
  return String(e);
}

/**
 * Resolves after `ms`, at once when the batch is aborted (close() ran out of time), or
 * when the function handed to `onWake` is called.
 */
function sleep(ms: number, signal: AbortSignal, onWake?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    onWake?.(done);
  });
}
