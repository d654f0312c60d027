export type PropValue = string | number | boolean;

export interface Revenue {
  amount: number;
  /** ISO 4217 code, upper case, e.g. "EUR". */
  currency: string;
}

/** An event as SDKs send it (DESIGN.md "Ingest"). */
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
  ip: string;
  ua: string;
  /** ISO 3166-1 alpha-2 from a trusted edge header, "" when unknown. */
  country: string;
  events: AcceptedEvent[];
}

/** One JetStream message on `EVENTS`: the records of one group commit. */
export interface StreamMessage {
  v: 1;
  records: StreamRecord[];
}
