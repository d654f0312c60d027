import { MAX_BODY_BYTES, MAX_EVENTS_PER_BATCH } from '@pulse/protocol';
import { ConfigError } from './errors.js';
import type { PulseError } from './errors.js';

/** Queue length that triggers a send without waiting for the interval. */
export const DEFAULT_FLUSH_AT = 100;
/** The longest an event waits in the queue before a send starts. */
export const DEFAULT_FLUSH_INTERVAL_MS = 2_000;
/** Events kept in memory; beyond it the oldest are dropped (and reported). */
export const DEFAULT_MAX_QUEUE_SIZE = 10_000;
/** Batches sent (or waiting to retry) at the same time. */
export const DEFAULT_MAX_IN_FLIGHT = 4;
/** Retries after the first attempt of a batch, for network errors, 5xx, 429 and 408. */
export const DEFAULT_MAX_RETRIES = 10;
/** First backoff; each retry doubles it, with jitter, up to DEFAULT_BACKOFF_MAX_MS. */
export const DEFAULT_BACKOFF_MIN_MS = 200;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** A Retry-After longer than this is shortened to it. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 5 * 60_000;
/** One HTTP attempt; a timeout counts as a network error (retried). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** close() without a timeout, and the flush on process exit. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Protocol limits the batches are cut to. */
export const MAX_BATCH_EVENTS = MAX_EVENTS_PER_BATCH;
export const MAX_BATCH_BYTES = MAX_BODY_BYTES;

export type TransportKind = 'auto' | 'http' | 'fetch';

export interface AnalyticsOptions {
  /** The site's write key (`wk_...`). */
  writeKey: string;
  /** Collector base URL, e.g. "https://collect.example.com" (a path prefix is kept). */
  host: string;
  flushAt?: number | undefined;
  flushIntervalMs?: number | undefined;
  maxQueueSize?: number | undefined;
  maxInFlight?: number | undefined;
  /** Events a batch holds at most (≤ 500, the protocol limit). */
  maxBatchEvents?: number | undefined;
  /** Encoded bytes a batch holds at most (≤ 512 KiB, the protocol limit). */
  maxBatchBytes?: number | undefined;
  maxRetries?: number | undefined;
  backoffMinMs?: number | undefined;
  backoffMaxMs?: number | undefined;
  maxRetryAfterMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  /**
   * 'http': node:http with a keep-alive Agent (the faster one on Node);
   * 'fetch': the global fetch (keeps alive too; the one used on Bun);
   * 'auto' (default): 'fetch' on Bun, 'http' elsewhere.
   */
  transport?: TransportKind | undefined;
  /** Send what is queued when the event loop empties ('beforeExit'). Default true. */
  flushOnExit?: boolean | undefined;
  /**
   * On SIGTERM/SIGINT, close() within closeTimeoutMs, then exit as the signal would
   * have, unless the app has its own listener for it. Default false.
   */
  handleSignals?: boolean | undefined;
  /** Budget of the exit flush and of the signal close. */
  closeTimeoutMs?: number | undefined;
  /** Called with every reported failure (also emitted as 'error'). */
  onError?: ((error: PulseError) => void) | undefined;
}

/** Every option with its value: the caller's undefined ones are defaults by now. */
export type ResolvedOptions = { [K in Exclude<keyof AnalyticsOptions, 'onError'>]-?: Exclude<AnalyticsOptions[K], undefined> } & {
  onError: ((error: PulseError) => void) | undefined;
  /** `${host}/v1/batch` */
  endpoint: URL;
};

function intIn(opts: AnalyticsOptions, field: keyof AnalyticsOptions, fallback: number, min: number, max: number): number {
  const v = opts[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(field, `must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

function bool(opts: AnalyticsOptions, field: keyof AnalyticsOptions, fallback: boolean): boolean {
  const v = opts[field] ?? fallback;
  if (typeof v !== 'boolean') throw new ConfigError(field, `must be a boolean, got ${typeof v}`);
  return v;
}

/** Every option is checked here, once; the first bad one throws a ConfigError naming it. */
export function resolveOptions(opts: AnalyticsOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', 'must be an object { writeKey, host, ... }');
  if (typeof opts.writeKey !== 'string' || opts.writeKey.trim() === '') throw new ConfigError('writeKey', 'is required');
  if (/\s/.test(opts.writeKey)) throw new ConfigError('writeKey', 'must not contain whitespace');
  if (typeof opts.host !== 'string' || opts.host === '') throw new ConfigError('host', 'is required, e.g. "https://collect.example.com"');
  let base: URL;
  try {
    base = new URL(opts.host);
  } catch {
    throw new ConfigError('host', `is not a URL: "${opts.host}"`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ConfigError('host', 'must be an http:// or https:// URL');
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}/v1/batch`, base);

  const transport = opts.transport ?? 'auto';
  if (transport !== 'auto' && transport !== 'http' && transport !== 'fetch') {
    throw new ConfigError('transport', `must be "auto", "http" or "fetch", got ${String(transport)}`);
  }
  if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new ConfigError('onError', 'must be a function');

  const maxBatchEvents = intIn(opts, 'maxBatchEvents', MAX_BATCH_EVENTS, 1, MAX_BATCH_EVENTS);
  const backoffMinMs = intIn(opts, 'backoffMinMs', DEFAULT_BACKOFF_MIN_MS, 1, 3_600_000);
  const resolved: ResolvedOptions = {
    writeKey: opts.writeKey,
    host: opts.host,
    endpoint,
    flushAt: intIn(opts, 'flushAt', DEFAULT_FLUSH_AT, 1, 1_000_000),
    flushIntervalMs: intIn(opts, 'flushIntervalMs', DEFAULT_FLUSH_INTERVAL_MS, 1, 3_600_000),
    maxQueueSize: intIn(opts, 'maxQueueSize', DEFAULT_MAX_QUEUE_SIZE, 1, 100_000_000),
    maxInFlight: intIn(opts, 'maxInFlight', DEFAULT_MAX_IN_FLIGHT, 1, 256),
    maxBatchEvents,
    // The body header ({sent_at, events: [...]}) takes at most 32 bytes.
    maxBatchBytes: intIn(opts, 'maxBatchBytes', MAX_BATCH_BYTES, 1024, MAX_BATCH_BYTES),
    maxRetries: intIn(opts, 'maxRetries', DEFAULT_MAX_RETRIES, 0, 1000),
    backoffMinMs,
    backoffMaxMs: intIn(opts, 'backoffMaxMs', DEFAULT_BACKOFF_MAX_MS, backoffMinMs, 3_600_000),
    maxRetryAfterMs: intIn(opts, 'maxRetryAfterMs', DEFAULT_MAX_RETRY_AFTER_MS, 0, 86_400_000),
    requestTimeoutMs: intIn(opts, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS, 1, 3_600_000),
    closeTimeoutMs: intIn(opts, 'closeTimeoutMs', DEFAULT_CLOSE_TIMEOUT_MS, 0, 3_600_000),
    transport,
    flushOnExit: bool(opts, 'flushOnExit', true),
    handleSignals: bool(opts, 'handleSignals', false),
    onError: opts.onError,
  };
  return resolved;
}
