import type { Counter, Gauge } from 'prom-client';
import type { Logger } from './log.js';

/** nats.js error codes that say NATS is out of reach (or restarting), not that it refused the request. */
const UNREACHABLE_CODES = new Set(['TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'DISCONNECT', 'CONNECTION_REFUSED', '503']);

/** @pulse/protocol's PublishError codes that say the same (a KV write's compare-and-set goes through it). */
const UNANSWERED_PUBLISH_CODES = new Set(['timeout', 'unavailable', 'no_responders']);

/**
 * Whether `err` (or one of its first causes) says NATS did not answer: a nats.js error, or a publish
 * (protocol's PublishError, which the visits' and salts' KV writes wrap) that got no answer.
 */
export function isNatsUnreachable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++, e = (e as { cause?: unknown }).cause) {
    const { name, code } = e as { name?: unknown; code?: unknown };
    if (name === 'NatsError' && UNREACHABLE_CODES.has(String(code))) return true;
    if (name === 'PublishError' && UNANSWERED_PUBLISH_CODES.has(String(code))) return true;
  }
  return false;
}

/** What reports here: the periodic requests, the consume loop (its pulls and consumer checks) and the batch steps. */
export type NatsRequestSource = 'lag' | 'fence_heartbeat' | 'consume' | 'batch';

const NATS_UNREACHABLE_MESSAGE = 'NATS unreachable: consuming, lag measurement, watermark and fence heartbeats fail until it answers again';
const NATS_REACHABLE_MESSAGE = 'NATS reachable again';

export interface NatsOutageOptions {
  logger: Logger;
  /** Every failed attempt, by source (`pulse_aggregator_nats_request_failures_total`). */
  failures: Counter<'source'>;
  /** 1 during an outage (`pulse_aggregator_nats_unreachable`). */
  unreachable: Gauge;
  /** Monotonic ms (tests move it). */
  now?: () => number;
}

/**
 * One outage of NATS as the aggregator sees it: its periodic requests (lag measurement and
 * watermark every second, fence heartbeats every 3 s) and its consume loop (retrying with backoff
 * to 15 s). One warn line when the first of them fails because NATS does not answer, one info line
 * with the outage's length when a periodic request succeeds again, and the failed attempts in
 * between counted, not logged. A request sent before the last success that fails afterwards (a
 * timeout that outlived a reconnect) says nothing new and starts no outage. Other failures (a
 * refused request, ClickHouse) are the caller's to log.
 */
export class NatsOutage {
  private since: number | undefined;
  private lastSuccess = Number.NEGATIVE_INFINITY;
  private failedAttempts = 0;
  private firstSource: NatsRequestSource | undefined;
  private readonly now: () => number;

  constructor(private readonly o: NatsOutageOptions) {
    this.now = o.now ?? (() => performance.now());
    o.unreachable.set(0);
  }

  get ongoing(): boolean {
    return this.since !== undefined;
  }

  /** The clock failures are dated by: take it when an attempt begins, for `failure()`. */
  clock(): number {
    return this.now();
  }

  /**
   * One attempt of `source`: its value, or undefined when it failed. A failure because NATS is out
   * of reach is counted (and logged when it starts an outage); any other goes to `onOtherFailure`.
   */
  async attempt<T>(source: NatsRequestSource, fn: () => Promise<T>, onOtherFailure: (err: unknown) => void): Promise<T | undefined> {
    const started = this.now();
    try {
      const value = await fn();
      this.succeeded();
      return value;
    } catch (err) {
      if (!this.failure(source, err, started)) onOtherFailure(err);
      return undefined;
    }
  }

  /**
   * A failed attempt of `source` begun at `startedAt` (`clock()`): true when NATS was out of reach
   * (counted, and logged when it starts an outage), false for any other failure, the caller's to
   * log. Only the periodic requests end an outage (`attempt`): a consume loop round that did not
   * fail may have touched no NATS at all.
   */
  failure(source: NatsRequestSource, err: unknown, startedAt: number): boolean {
    if (!isNatsUnreachable(err)) return false;
    this.failed(source, err, startedAt);
    return true;
  }

  private failed(source: NatsRequestSource, err: unknown, startedAt: number): void {
    this.o.failures.inc({ source });
    if (startedAt < this.lastSuccess) return;
    this.failedAttempts++;
    if (this.since !== undefined) return;
    // Dated from when the request that got no answer was sent: its timeout came seconds later.
    this.since = startedAt;
    this.firstSource = source;
    this.o.unreachable.set(1);
    this.o.logger.log('warn', NATS_UNREACHABLE_MESSAGE, { source, err });
  }

  private succeeded(): void {
    this.lastSuccess = this.now();
    if (this.since === undefined) return;
    this.o.logger.log('info', NATS_REACHABLE_MESSAGE, {
      outage_ms: Math.round(this.lastSuccess - this.since),
      failed_attempts: this.failedAttempts,
      first_failed: this.firstSource,
    });
    this.since = undefined;
    this.firstSource = undefined;
    this.failedAttempts = 0;
    this.o.unreachable.set(0);
  }
}
