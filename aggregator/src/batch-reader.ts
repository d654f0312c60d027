import { createInbox, ErrorCode, Events, NatsError, type JsMsg, type Msg, type NatsConnection, type Status, type Subscription } from 'nats';
import { toJsMsg } from 'nats/lib/jetstream/jsmsg.js';
import { within } from '@pulse/protocol';
import { PullFailedError } from './errors.js';

/** How long past its own expiry a pull may stay silent before the reader gives up on it. */
export const PULL_GRACE_MS = 5_000;
/** How long past its expiry a pull that did deliver is waited for when its end status is missing. */
export const PULL_END_MARGIN_MS = 500;
/**
 * Bytes one pull asks for. The server queues what a pull sends on the client's connection; far
 * over this (64 MiB by default) it cuts the client off as a slow consumer, which ends every pull
 * and request on that connection. Raised to twice the server's max payload when that is larger,
 * since a pull whose first message exceeds it returns nothing.
 */
export const DEFAULT_PULL_MAX_BYTES = 16 * 1024 * 1024;
const SETTLE_MS = 100;
/** How long a pull that got no answer waits for a ping, to tell NATS out of reach from a missing consumer. */
export const PULL_PING_TIMEOUT_MS = 2_000;
const JS_API_PREFIX = '$JS.API';
/** JetStream's statuses that end a pull normally. */
const STATUS_EXPIRED = 408; // Request Timeout: the pull's expiry came first
const STATUS_NO_MESSAGES = 404;
const STATUS_MAX_BYTES = 409; // with "Message Size Exceeds MaxBytes" (the byte budget is spent) or "Server Shutdown"
const STATUS_IDLE_HEARTBEAT = 100;
/** No responders: JetStream does not serve the consumer's subject (no leader, say during an election). */
const STATUS_NO_RESPONDERS = 503;

/**
 * Shortest a pull waits for messages. A pull that expires sooner risks nats-server 2.9's dropped
 * end-of-pull status (below), which costs the reader a grace period.
 */
export const MIN_TAKE_WAIT_MS = 50;

/**
 * How long the next take waits: until `flushIntervalMs` after the last batch was taken, at least
 * MIN_TAKE_WAIT_MS. When preparing and storing the last batch took longer than the interval, the
 * messages that waited on the server meanwhile are taken at once instead of after another full
 * interval (at half the sustained rate: freshness p99 2.5-3.0 s -> 1.8-2.2 s, docs/BENCHMARKS.md);
 * a quiet stream still closes a batch once an interval.
 */
export function takeWaitMs(lastTakenMs: number, nowMs: number, flushIntervalMs: number): number {
  return Math.max(MIN_TAKE_WAIT_MS, lastTakenMs + flushIntervalMs - nowMs);
}

/**
 * Batches from a durable pull consumer, one pull request at a time on ONE long-lived inbox: up to
 * `max` messages and about `maxBytes`, or whatever arrived within `waitMs`.
 *
 * Why not nats.js's `fetch()` (a subscription per pull) or `consume()` (pulls kept open ahead):
 * a fetch closes its subscription when its own timer fires, 5 % after the server's expiry; with
 * the event loop busy longer than that margin (enriching the batch before), messages JetStream had
 * already sent were dropped by the client while the server counted them delivered, so they waited
 * out ack_wait (60 s stalls). consume() keeps pulls open at the server, so stopping it drops what
 * is in flight the same way. Here a batch ends on the server's own end-of-pull status (which
 * follows the pull's last message on the same connection) or when it is full, and the inbox
 * outlives every pull: a message that arrives late still lands in the buffer and goes into the
 * next batch. At most one pull is open, so at most one batch waits in memory.
 */
export class BatchReader {
  private readonly nc: NatsConnection;
  private readonly pullSubject: string;
  private readonly inbox: string;
  private readonly sub: Subscription;
  private readonly maxBytes: number;
  private buffer: JsMsg[] = [];
  private bufferedBytes = 0;
  /** Messages still owed by the open pull (0: none open). */
  private owed = 0;
  /** When the open pull expires at the server. */
  private openUntil = 0;
  private failure: PullFailedError | undefined;
  /** Whoever waits for the next message or status (take() and close() may both wait). */
  private readonly waiters = new Set<() => void>();
  private closed = false;
  /** Counts every message and status received, to tell silence from a busy event loop. */
  private activity = 0;
  private activityAtPull = 0;
  /** The connection's status events, for as long as the reader lives. */
  private readonly statuses: AsyncIterable<Status> & { stop(): void };

  constructor(nc: NatsConnection, stream: string, consumer: string, maxBytes = DEFAULT_PULL_MAX_BYTES) {
    this.nc = nc;
    this.pullSubject = `${JS_API_PREFIX}.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
    this.inbox = createInbox();
    this.maxBytes = Math.max(maxBytes, 2 * (nc.info?.max_payload ?? 0));
    this.sub = nc.subscribe(this.inbox, { callback: (err, msg) => this.onMessage(err, msg) });
    this.statuses = nc.status() as AsyncIterable<Status> & { stop(): void };
    void this.watchReconnects();
  }

  /**
   * A pull lives in the server's memory: a nats-server that restarted while one was open forgot
   * it, and the reader would sit out the whole grace period (counting nothing new for ~5 s more)
   * before giving up on it. After a reconnect the rest of the pull is asked for again on the same
   * inbox. If the old pull survived (a blip on a server that stayed up), both deliver into the
   * buffer, and what comes past this batch goes into the next one, as late messages always do.
   */
  private async watchReconnects(): Promise<void> {
    for await (const s of this.statuses) {
      if (s.type === Events.Reconnect) this.repull();
    }
  }

  private repull(): void {
    if (this.closed || this.failure || this.owed === 0) return;
    this.publishPull(Math.max(MIN_TAKE_WAIT_MS, this.openUntil - Date.now()));
    this.wakeAll();
  }

  private publishPull(waitMs: number): void {
    this.openUntil = Date.now() + waitMs;
    this.activityAtPull = this.activity;
    const request = { batch: this.owed, max_bytes: this.maxBytes - this.bufferedBytes, expires: waitMs * 1_000_000 };
    this.nc.publish(this.pullSubject, JSON.stringify(request), { reply: this.inbox });
  }

  /** True once the reader failed or was closed: make a new one (after re-creating the consumer). */
  get done(): boolean {
    return this.closed || this.failure !== undefined;
  }

  private onMessage(err: Error | null, msg: Msg): void {
    this.activity++;
    if (err) {
      this.fail(`inbox subscription failed: ${err.message}`);
      return;
    }
    // Stream messages keep their own subject; statuses about the pull come on the inbox itself.
    if (msg.subject !== this.inbox) {
      this.buffer.push(toJsMsg(msg));
      this.bufferedBytes += msg.data.length;
      if (this.owed > 0) this.owed--;
    } else {
      const code = msg.headers?.code ?? 0;
      if (code === STATUS_IDLE_HEARTBEAT) return;
      const description = msg.headers?.description ?? '';
      this.owed = 0;
      // A server shutting down ends its open pulls: the next pull goes to it (or its successor)
      // after the reconnect, where failing here would cost a logged error and a backoff.
      const normalEnd =
        code === STATUS_EXPIRED ||
        code === STATUS_NO_MESSAGES ||
        (code === STATUS_MAX_BYTES && /max ?bytes|server shutdown/i.test(description));
      if (!normalEnd) {
        // NATS's own no-responders status: the consume loop counts it as NATS out of reach.
        const cause = code === STATUS_NO_RESPONDERS ? NatsError.errorForCode(ErrorCode.NoResponders) : undefined;
        this.fail(`pull ended with status ${code} ${description}`.trim(), cause);
        return;
      }
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  private fail(message: string, cause?: unknown): void {
    this.failure ??= new PullFailedError(message, cause === undefined ? undefined : { cause });
    this.owed = 0;
    this.wakeAll();
  }

  /** Why NATS did not answer a ping within PULL_PING_TIMEOUT_MS, or undefined when it did. */
  private pingFailure(): Promise<unknown> {
    return within(this.nc.flush(), PULL_PING_TIMEOUT_MS, () => NatsError.errorForCode(ErrorCode.Timeout)).then(
      () => undefined,
      (err: unknown) => err ?? NatsError.errorForCode(ErrorCode.Timeout),
    );
  }

  /** Resolves when a message or status arrives, or after `ms`. */
  private waitForNews(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private enough(max: number): boolean {
    return this.buffer.length >= max || this.bufferedBytes >= this.maxBytes;
  }

  /** Up to `max` messages: what is buffered, topped up by one pull that waits at most `waitMs`. */
  async take(max: number, waitMs: number): Promise<JsMsg[]> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new PullFailedError('reader closed');
    if (!this.enough(max) && this.owed === 0) {
      this.owed = max - this.buffer.length;
      this.publishPull(waitMs);
    }
    while (!this.enough(max) && this.owed > 0 && !this.failure) {
      const answered = this.activity > this.activityAtPull;
      // nats-server 2.9 sometimes drops an expired pull without its 408 (when a message comes in
      // just as it expires). A pull that was answered at all is over once its expiry has passed;
      // anything it still sends lands in the buffer. One never answered gets a longer grace.
      const until = this.openUntil + (answered ? PULL_END_MARGIN_MS : PULL_GRACE_MS);
      const left = until - Date.now();
      if (left > 0) {
        await this.waitForNews(left);
        continue;
      }
      // A blocked event loop fires timers before it reads the socket: let it read for a moment.
      const seen = this.activity;
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      if (this.activity !== seen) continue;
      if (answered) {
        this.owed = 0;
        break;
      }
      // Silence: the consumer is gone (JetStream drops pulls for unknown consumers without a
      // status), or NATS is out of reach (the connection dropped and took the pull with it, or
      // the server hangs). A ping tells which: the consume loop logs the one as its own failure
      // and counts the other in the NATS outage it belongs to (nats-outage.ts).
      const pulledUntil = this.openUntil;
      const unanswered = await this.pingFailure();
      // Meanwhile something came, or a reconnect asked for the pull again: wait for that instead.
      if (this.activity !== seen || this.failure || this.openUntil !== pulledUntil) continue;
      const silentMs = waitMs + PULL_GRACE_MS;
      if (unanswered) this.fail(`no answer to a pull within ${silentMs} ms: NATS does not answer`, unanswered);
      else this.fail(`no answer to a pull within ${silentMs} ms (consumer missing?)`);
    }
    const msgs = this.buffer.splice(0, max);
    this.bufferedBytes = this.buffer.reduce((n, m) => n + m.data.length, 0);
    if (this.failure) {
      for (const m of msgs) m.nak();
      throw this.failure;
    }
    return msgs;
  }

  /**
   * Waits for the open pull to end (so nothing is in flight), then ends the inbox and hands back
   * (nak) what was received but not taken, so other aggregators get it at once.
   */
  async close(): Promise<number> {
    if (this.closed) return 0;
    // The server sends nothing for a pull after its expiry: wait that long (plus a margin and a
    // moment for a blocked event loop to read the socket) before the inbox goes away.
    const giveUpAt = this.openUntil + PULL_END_MARGIN_MS;
    while (this.owed > 0 && !this.failure && !this.nc.isClosed() && Date.now() < giveUpAt) {
      await this.waitForNews(giveUpAt - Date.now());
    }
    if (this.owed > 0) await new Promise((r) => setTimeout(r, SETTLE_MS));
    this.closed = true;
    this.sub.unsubscribe();
    this.statuses.stop();
    const left = this.buffer;
    this.buffer = [];
    this.bufferedBytes = 0;
    for (const m of left) m.nak();
    return left.length;
  }
}
