export type PropValue = string | number | boolean;

export interface Revenue {
  amount: number;
  /** ISO 4217 code, upper case, e.g. "EUR". */
  currency: string;
}

/**
 * An event as SDKs send it (DESIGN.md "Ingest"). On the wire an optional field may also be `null`
 * (JSON null, msgpack nil): read as absent, and a `null` prop value leaves that prop out
 * (`validateEvent`). A pageview's `url` is an absolute http(s) URL or a path (`urlKind`).
 */
export interface Event {
  id?: string;
  name: string;
  ts?: number;
  url?: string;
  referrer?: string;
  title?: string;
  visitor_id?: string;
  session_id?: string;
  user_id?: string;
  props?: Record<string, PropValue>;
  revenue?: Revenue;
  screen_width?: number;
  lang?: string;
}

/** The body of `POST /v1/batch`. */
export interface Batch {
  sent_at?: number;
  events: Event[];
}

/** An event that passed validation: it always has an id and a skew-corrected time. */
export interface AcceptedEvent extends Event {
  id: string;
  ts: number;
}

export interface Rejection {
  index: number;
  reason: string;
}

/** The 202 answer of `POST /v1/batch`. */
export interface BatchReply {
  accepted: number;
  rejected: Rejection[];
}

/** Error body of every non-2xx answer of every service. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * One request's accepted events plus what the edge knows about the sender.
 * `ip` travels through the stream for enrichment only; the aggregator never stores it.
 */
export interface StreamRecord {
  site_id: string;
  received_at: number;
  /**
   * The client's address, for the cookieless visitor id only. The collector always sets it;
   * only an archived copy (the aggregator's `events_archive`) lacks it, and carries
   * `cookieless_ids` instead.
   */
  ip?: string;
  ua: string;
  /** ISO 3166-1 alpha-2 from a trusted edge header, "" when unknown. */
  country: string;
  events: AcceptedEvent[];
  /** Only archived copies carry it; the collector never sends it. See `CookielessIds`. */
  cookieless_ids?: CookielessIds;
}

/**
 * The cookieless visitor ids live computed for one record's events (those without a
 * `visitor_id`), keyed by UTC day number (`Math.floor(ts / 86_400_000)`, as a string). The
 * aggregator's archive keeps a record with these instead of its `ip`: a replay from the archive
 * gives the events the ids live gave them, even once the day's salt is deleted, and the archive
 * holds no IP. Only archived copies carry it; the collector never sends it.
 */
export type CookielessIds = Record<string, string>;

/** How a raw record's body is read: the format the collector resolved from its Content-Type. */
export type RawBodyFormat = 'msgpack' | 'json';

/**
 * One request whose events were ALL accepted, kept as the bytes the client sent: re-encoding
 * the events cost the collector a third of its CPU. Readers turn it back into the
 * StreamRecord the collector would have written with `expandRawRecord` (`@pulse/protocol/codec`),
 * which decodes and validates the body again with the same function, limits and clock.
 */
export interface RawStreamRecord {
  site_id: string;
  received_at: number;
  /** As in `StreamRecord`: absent only in an archived copy. */
  ip?: string;
  ua: string;
  country: string;
  /** Only archived copies carry it; the collector never sends it. See `CookielessIds`. */
  cookieless_ids?: CookielessIds;
  /** The request body exactly as received (msgpack bin). */
  body: Uint8Array;
  format: RawBodyFormat;
  /** The collector's oldest accepted event age when it validated the body (it is configurable). */
  max_event_age_ms: number;
  /**
   * Events sent without an id get `rawEventId(id_base, index)`. Made by the collector and kept in
   * the message, so redeliveries, replays and a message stored twice all give the same ids.
   */
  id_base: string;
  /** Events the collector accepted: all of the body's. */
  accepted: number;
}

export type AnyStreamRecord = StreamRecord | RawStreamRecord;

/** One JetStream message on `EVENTS`: the records of one group commit, all with their events. */
export interface StreamMessage {
  v: 1;
  records: StreamRecord[];
}

/**
 * Version 2: records with events and raw records mixed. The collector writes it only for a
 * message holding a raw record, so a message without one stays version 1 (older readers read it).
 */
export interface StreamMessageV2 {
  v: 2;
  records: AnyStreamRecord[];
}

export type AnyStreamMessage = StreamMessage | StreamMessageV2;
