/*
 * The event shape of the ingest contract (DESIGN.md "Ingest"), declared here so the
 * published typings stand alone; test/protocol.test.ts proves it matches @pulse/protocol.
 *
 * Unlike the wire shape, every optional field and prop value also takes `undefined`, which the
 * SDK leaves out before sending, as JSON would (prepare.ts): `plan: opts.plan` must compile
 * under `strict` and `exactOptionalPropertyTypes` alike. test/types.test.ts holds it to that.
 */
export type PropValue = string | number | boolean;

export interface Revenue {
  amount: number;
  /** ISO 4217 code, upper case, e.g. "EUR". */
  currency: string;
}

export interface TrackEvent {
  /** "pageview" or any custom name. */
  name: string;
  /** Dedup key. Set by `track` (crypto.randomUUID) when absent; pass your own to make a re-track idempotent. */
  id?: string | undefined;
  /** ms since epoch; `track` sets Date.now() when absent. */
  ts?: number | undefined;
  url?: string | undefined;
  referrer?: string | undefined;
  title?: string | undefined;
  /**
   * The end user's anonymous id. Without it (or user_id) the pipeline counts the
   * request's IP and user agent, which are the server's: one visitor for all.
   */
  visitor_id?: string | undefined;
  session_id?: string | undefined;
  /** Also sent as visitor_id when that is absent. */
  user_id?: string | undefined;
  props?: Record<string, PropValue | undefined> | undefined;
  revenue?: Revenue | undefined;
  screen_width?: number | undefined;
  lang?: string | undefined;
}

/** A page view: `url` is required. */
export type PageviewEvent = Omit<TrackEvent, 'name' | 'url'> & { url: string };

/** An event as queued and sent: id and time are always set. */
export interface QueuedEvent extends TrackEvent {
  id: string;
  ts: number;
}

/** One refused event and why ("missing_name", "too_old", "invalid_type:props", ...). */
export interface Rejection {
  id: string;
  reason: string;
  event: Record<string, unknown>;
}

export interface DeliveryInfo {
  /** Events in the batch. */
  events: number;
  /** Accepted by the collector (the 202's `accepted`). */
  accepted: number;
  /** Refused one by one (the 202's `rejected`), also reported as an EventsRejectedError. */
  rejected: number;
  /** 1 when the first try went through. */
  attempts: number;
  bytes: number;
}

export interface RetryInfo {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long the SDK waits before the next one. */
  delayMs: number;
  /** HTTP status that caused the retry; undefined for a network error or timeout. */
  status: number | undefined;
  /** The Retry-After the server asked for, in ms, if any. */
  retryAfterMs: number | undefined;
  error: Error | undefined;
  events: number;
}

export interface Stats {
  /** Waiting in the queue. */
  queued: number;
  /** In batches being sent or waiting to retry. */
  inFlight: number;
  /** Accepted by the collector. */
  delivered: number;
  /** Refused one by one, by the SDK or the collector. */
  rejected: number;
  /** Given up on after a non-retryable answer or the last retry. */
  failed: number;
  /** Dropped because the queue was full, the client closed, or the exit flush ran out of time. */
  dropped: number;
  /** HTTP requests that were retried. */
  retries: number;
  /** HTTP requests made. */
  requests: number;
}

export interface CloseResult {
  /** True when the timeout ran out before everything was settled. */
  timedOut: boolean;
  /** Events delivered during close(). */
  delivered: number;
  /**
   * Events not confirmed delivered when close() returned: still queued, in a request
   * cut short, or waiting for a retry. A request cut short may still have landed;
   * the ids make a later resend harmless.
   */
  unsent: QueuedEvent[];
}
