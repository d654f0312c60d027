import type { AnyStreamRecord, WriteKeyRecord } from '@pulse/protocol';

/** What an adapter copies out of its runtime's request before handing it to the core. */
export interface CoreRequest {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Raw query string without "?". */
  query: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The TCP peer's address as the runtime reports it. */
  remoteAddress: string;
  body: Uint8Array;
}

export interface CoreResponse {
  status: number;
  /**
   * Lower-case names. A frozen record (the common batch `202`'s) is shared by many answers and
   * already complete: nobody changes it, and an adapter may keep its runtime's form of it.
   */
  headers: Record<string, string>;
  body: Uint8Array | string;
  /** Ask the adapter to close the connection after this response. */
  close?: boolean;
  /** An answer to HEAD: send the headers, with the body's length, but not the body. */
  headOnly?: boolean;
}

/** Resolves a write key; undefined = unknown or revoked. Throws KeyLookupError when the registry is unreachable. */
export interface WriteKeyLookup {
  lookup(key: string): Promise<WriteKeyRecord | undefined>;
}

/** One event the collector refused, kept for operators in EVENTS_DLQ. */
export interface DeadLetterItem {
  index: number;
  reason: string;
  /** The event as the client sent it (decoded). */
  event: unknown;
}

export interface DeadLetter {
  v: 1;
  source: 'collector';
  /**
   * Set when the items come from a compatible endpoint: `segment`, each event a Segment message as
   * sent but without `context.ip`; `ga4`, each event one of the request's GA4 events as sent, the
   * rest of the request in `request`.
   */
  format?: 'segment' | 'ga4';
  /** GA4: the request's own fields (client_id, user_id, timestamp_micros, user_properties, …) without `events`, `ip_override` and `user_data`. */
  request?: Record<string, unknown>;
  site_id: string;
  received_at: number;
  ua: string;
  country: string;
  items: DeadLetterItem[];
}

/** Where accepted and refused events go. Both resolve only once JetStream has acknowledged them. */
export interface EventSink {
  /** A raw record (the body as received) or one with its events; encoded before this returns. */
  publishRecord(record: AnyStreamRecord): Promise<void>;
  publishDeadLetter(letter: DeadLetter): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;
