import { createInbox, type JsMsg, type Msg, type NatsConnection, type Subscription } from 'nats';
import { toJsMsg } from 'nats/lib/jetstream/jsmsg.js';
import { PullFailedError } from './errors.js';

/** How long past its own expiry a pull may stay silent before the reader stops waiting for it. */
export const PULL_GRACE_MS = 5_000;
const JS_API_PREFIX = '$JS.API';
/** JetStream's status for a pull that expired before it was filled ("Request Timeout"). */
const STATUS_EXPIRED = 408;
const STATUS_NO_MESSAGES = 404;
const STATUS_IDLE_HEARTBEAT = 100;

/**
 * Batches from a durable pull consumer, one pull request at a time on ONE long-lived inbox: up to
 * `max` messages, or whatever arrived within `waitMs`.
 *
 * Why not nats.js's `fetch()` (a subscription per pull) or `consume()` (pulls kept open ahead):
 * a fetch closes its subscription when its own timer fires, 5 % after the server's expiry; with
 * the event loop busy longer than that margin (enriching the batch before), messages JetStream had
 * already sent were dropped by the client while the server counted them delivered, so they waited
 * out ack_wait (60 s stalls). consume() keeps pulls open at the server, so stopping it drops what
 * is in flight the same way. Here a batch ends on the server's own end-of-pull status (which
 * follows the pull's last message on the same connection) or when it is full, and the inbox
 * outlives every pull: a message that arrives late still lands in the buffer and goes into the
 * next batch. At most one pull is open, so at most `max` messages wait in memory.
 */
export class BatchReader {
  private readonly nc: NatsConnection;
  private readonly pullSubject: string;
  private readonly inbox: string;
  private readonly sub: Subscription;
  private readonly ackTimeoutMs: number;
  private buffer: JsMsg[] = [];
  /** Messages still owed by the open pull (0: none open). */
  private owed = 0;
  /** When the open pull expires at the server. */
  private openUntil = 0;
  private failure: PullFailedError | undefined;
  /** Whoever waits for the next message or status (take() and close() may both wait). */
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(nc: NatsConnection, stream: string, consumer: string, ackTimeoutMs = 5_000) {
    this.nc = nc;
    this.pullSubject = `${JS_API_PREFIX}.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
    this.inbox = createInbox();
    this.ackTimeoutMs = ackTimeoutMs;
    this.sub = nc.subscribe(this.inbox, { callback: (err, msg) => this.onMessage(err, msg) });
  }

  /** True once the reader failed or was closed: make a new one (after re-creating the consumer). */
  get done(): boolean {
    return this.closed || this.failure !== undefined;
  }

  private onMessage(err: Error | null, msg: Msg): void {
    if (err) {
      this.fail(`inbox subscription failed: ${err.message}`);
      return;
    }
    // Stream messages keep their own subject; statuses about the pull come on the inbox itself.
    if (msg.subject !== this.inbox) {
      this.buffer.push(toJsMsg(msg, this.ackTimeoutMs));
      if (this.owed > 0) this.owed--;
    } else {
      const code = msg.headers?.code ?? 0;
      if (code === STATUS_IDLE_HEARTBEAT) return;
      this.owed = 0;
      if (code !== STATUS_EXPIRED && code !== STATUS_NO_MESSAGES) {
        this.fail(`pull ended with status ${code} ${msg.headers?.description ?? ''}`.trim());
        return;
      }
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  private fail(message: string): void {
    this.failure ??= new PullFailedError(message);
    this.owed = 0;
    this.wakeAll();
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

  /** Up to `max` messages: what is buffered, topped up by one pull that waits at most `waitMs`. */
  async take(max: number, waitMs: number): Promise<JsMsg[]> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new PullFailedError('reader closed');
    if (this.buffer.length < max && this.owed === 0) {
      this.owed = max - this.buffer.length;
      this.openUntil = Date.now() + waitMs;
      this.nc.publish(this.pullSubject, JSON.stringify({ batch: this.owed, expires: waitMs * 1_000_000 }), {
        reply: this.inbox,
      });
    }
    const giveUpAt = Date.now() + waitMs + PULL_GRACE_MS;
    while (this.buffer.length < max && this.owed > 0 && !this.failure) {
      const left = giveUpAt - Date.now();
      if (left <= 0) {
        // A timer can fire before the socket is read when the loop was blocked: read it first.
        await new Promise((r) => setImmediate(r));
        if (this.buffer.length >= max || this.owed === 0 || this.failure) break;
        // No end of pull: the consumer is gone (JetStream drops pulls for unknown consumers
        // without a status) or the request was lost.
        this.fail(`no answer to a pull within ${waitMs + PULL_GRACE_MS} ms (consumer missing?)`);
        break;
      }
      await this.waitForNews(left);
    }
    const out = this.buffer.splice(0, max);
    if (this.failure) {
      for (const m of out) m.nak();
      throw this.failure;
    }
    return out;
  }

  /**
   * Waits for the open pull to end (so nothing is in flight), then ends the inbox and hands back
   * (nak) what was received but not taken, so other aggregators get it at once.
   */
  async close(): Promise<number> {
    if (this.closed) return 0;
    const giveUpAt = Math.max(Date.now(), this.openUntil) + PULL_GRACE_MS;
    while (this.owed > 0 && !this.failure && !this.nc.isClosed() && Date.now() < giveUpAt) {
      await this.waitForNews(giveUpAt - Date.now());
    }
    this.closed = true;
    this.sub.unsubscribe();
    const left = this.buffer;
    this.buffer = [];
    for (const m of left) m.nak();
    return left.length;
  }
}
