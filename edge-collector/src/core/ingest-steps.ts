import type { AcceptedEvent, Rejection, WriteKeyRecord } from '@pulse/protocol';
import { rawEventId } from '@pulse/protocol/codec';
import type { TranslatedOptions } from './compat/translated.js';
import type { Sender } from './compat/user-agent.js';
import { bodyErrorResponse } from './http.js';
import type { CoreRequest, CoreResponse } from './types.js';

/** One request's events on their way to the sink, with what its dead letter keeps. */
export interface EventsToPublish {
  receivedAt: number;
  accepted: AcceptedEvent[];
  rejected: Rejection[];
  /** Items with no Pulse event (Segment's identify, GA4's session_start): rate-limited, never dead-lettered. */
  ignored: number;
  /** A refused item as its dead letter keeps it, by its index in the request. */
  kept: (index: number) => unknown;
  /** Set by the compatible endpoints: their record's agent is `senderUserAgent`'s, their dead letter has this format. */
  sender?: Sender;
  /** GA4: the request's own fields, kept once in the dead letter. */
  request?: Record<string, unknown>;
}

/** A batch handed to the sink: the publish to await, and what to answer once it is acked. */
export interface Ingested {
  pending: Promise<CoreResponse | undefined>;
  acceptedCount: number;
  rejected: Rejection[];
  /** Items with no Pulse event. */
  ignored: number;
}

/**
 * The batch route's steps, as the compatible endpoints' request handlers (segment-route.ts,
 * ga4-route.ts) use them: one key check, one set of limits, one group commit and one dead-letter
 * path for every way events come in.
 */
export interface IngestSteps {
  readonly maxEventAgeMs: number;
  /** What refuses a body before it is read: draining, its size, a Content-Encoding. */
  refuseBody(req: CoreRequest): CoreResponse | undefined;
  /** The site of a write key; 401 for a malformed, unknown or revoked key, 503 when the registry is unreachable. */
  siteOf(key: string): Promise<WriteKeyRecord | CoreResponse>;
  /** A request's receive time and the base of its generated event ids (`<id_base>.<index>`). */
  receive(): { receivedAt: number; idBase: string };
  /** Rate limit by everything sent, enrich and hand to the sink; synchronous, so nothing large outlives it. */
  publish(req: CoreRequest, key: string, site: WriteKeyRecord, events: EventsToPublish): CoreResponse | Ingested;
  /** Waits for the PubAcks: the answer to a failed publish, or undefined once the events are counted. */
  settle(ingested: Ingested): Promise<CoreResponse | undefined>;
}

/**
 * A compatible endpoint's body read by its translation (whatever it throws is the client's fault:
 * `bodyErrorResponse`) at one receive time, then handed to `publish`; synchronous, so nothing large
 * outlives it.
 */
export function ingestTranslated<T>(
  steps: IngestSteps,
  req: CoreRequest,
  key: string,
  site: WriteKeyRecord,
  read: (o: TranslatedOptions) => T,
  events: (read: T) => Omit<EventsToPublish, 'receivedAt'>,
): CoreResponse | Ingested {
  const { receivedAt, idBase } = steps.receive();
  let done: T;
  try {
    done = read({ receivedAt, maxEventAgeMs: steps.maxEventAgeMs, idAt: (i) => rawEventId(idBase, i) });
  } catch (e) {
    return bodyErrorResponse(e);
  }
  return steps.publish(req, key, site, { receivedAt, ...events(done) });
}
