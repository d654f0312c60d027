import type { Rejection } from './types.js';

/** Base of every error the SDK throws or reports. `code` is stable; match on it. */
export class PulseError extends Error {
  override readonly name: string = 'PulseError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown by the constructor: an option is missing or out of range. */
export class ConfigError extends PulseError {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_config', `${field}: ${message}`);
  }
}

/**
 * Events refused one by one: by the SDK before queueing (`source: 'client'`) or
 * listed in the `rejected` part of the collector's 202 (`source: 'server'`).
 * Resending them would fail again.
 */
export class EventsRejectedError extends PulseError {
  override readonly name = 'EventsRejectedError';
  constructor(
    readonly source: 'client' | 'server',
    readonly rejections: Rejection[],
  ) {
    const first = rejections[0];
    super('events_rejected', `${rejections.length} event(s) rejected by the ${source}${first ? `, e.g. "${first.reason}"` : ''}`);
  }
}

/** What an HTTP answer said when it refused a whole batch. */
export interface ServerReply {
  status: number;
  /** `error.code` of the JSON error body, "" when the body had none. */
  code: string;
  message: string;
}

/**
 * A whole batch was not delivered: the collector refused it with a 4xx that a
 * retry cannot fix (400, 401, 413, ...) or every retry failed (`retries_exhausted`),
 * or the exit flush ran out of time (`aborted`; `attempts` is 0 then). `events` are
 * the events concerned (ids included), so the caller may keep or resend them.
 */
export class DeliveryError extends PulseError {
  override readonly name = 'DeliveryError';
  constructor(
    code: 'request_rejected' | 'retries_exhausted' | 'aborted',
    message: string,
    readonly events: Array<Record<string, unknown>>,
    readonly attempts: number,
    readonly reply: ServerReply | undefined,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
  /** HTTP status of the last answer; undefined when the last attempt failed on the network. */
  get status(): number | undefined {
    return this.reply?.status;
  }
}

/** The queue was full: the oldest events were dropped to make room. */
export class QueueOverflowError extends PulseError {
  override readonly name = 'QueueOverflowError';
  constructor(
    readonly dropped: number,
    readonly totalDropped: number,
    readonly maxQueueSize: number,
  ) {
    super('queue_overflow', `queue full (${maxQueueSize} events): dropped the ${dropped} oldest, ${totalDropped} since start`);
  }
}

/** `track` after `close()`: the events were not queued. */
export class ClosedError extends PulseError {
  override readonly name = 'ClosedError';
  constructor(readonly dropped: number) {
    super('closed', `analytics is closed: ${dropped} event(s) tracked after close() were dropped`);
  }
}
