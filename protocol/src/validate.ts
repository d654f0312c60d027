import {
  DEFAULT_MAX_EVENT_AGE_MS,
  MAX_EVENT_BYTES,
  MAX_EVENT_FUTURE_MS,
  MAX_EVENTS_PER_BATCH,
  MAX_ID_LENGTH,
  MAX_PROP_KEY_LENGTH,
  MAX_PROPS,
  MAX_SCREEN_WIDTH,
  MAX_STRING_LENGTH,
  PAGEVIEW,
} from './limits.js';
import { correctTimestamp } from './clock.js';
import { BodyError } from './errors.js';
import { urlKind } from './url-kind.js';
import type { AcceptedEvent, PropValue, Rejection } from './types.js';

export type ValidateOptions = {
  /** Server receive time, ms epoch. */
  receivedAt: number;
  /** Oldest accepted corrected event time, relative to receivedAt. */
  maxEventAgeMs?: number;
  /**
   * Take a pageview's url without the `invalid_url:url` check. Only for readers of bodies a
   * collector already accepted (`expandRawRecord`): bodies kept before the check existed must
   * expand to the events they gave then, or their whole stream message would be poison.
   */
  anyPageviewUrl?: boolean;
} & (
  | {
      /** Makes an id for an event the client sent without one (called without arguments). */
      newId: () => string;
      idAt?: undefined;
    }
  | {
      /**
       * The id of the event at `index` of `body.events` when the client sent none: ids that can
       * be derived again from the same body (raw stream records, see raw-record.ts).
       */
      idAt: (index: number) => string;
      newId?: undefined;
    }
);

export interface ValidatedBatch {
  accepted: AcceptedEvent[];
  rejected: Rejection[];
}

/** Why one event was refused. Stable strings: SDKs and tests match on them. */
export type RejectionReason =
  | 'not_an_object'
  | 'missing_name'
  | 'pageview_without_url'
  | 'event_too_large'
  | 'too_many_props'
  | 'too_old'
  | 'too_far_in_future'
  | `invalid_type:${string}`
  | `too_long:${string}`
  | `invalid_value:${string}`
  | `invalid_url:${string}`
  | `invalid_prop_key:${string}`
  | `invalid_prop_value:${string}`;

const STRING_FIELDS = ['url', 'referrer', 'title', 'visitor_id', 'session_id', 'user_id', 'lang'] as const;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** UTF-8 bytes of an accepted event's strings: name, string fields, prop keys and string values. */
function stringBytes(event: AcceptedEvent): number {
  let n = utf8Length(event.name);
  for (const field of STRING_FIELDS) {
    const v = event[field];
    if (typeof v === 'string') n += utf8Length(v);
  }
  if (event.props) {
    for (const [k, v] of Object.entries(event.props)) {
      n += utf8Length(k);
      if (typeof v === 'string') n += utf8Length(v);
    }
  }
  return n;
}

/** UTF-8 byte length without allocating. Lone surrogates count as 3 (they become U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function checkString(v: unknown, field: string, max: number): RejectionReason | undefined {
  if (typeof v !== 'string') return `invalid_type:${field}`;
  if (v.length > max) return `too_long:${field}`;
  return undefined;
}

/**
 * Validates one event. Returns the normalised event (only known fields, copied)
 * or the reason it was rejected. Unknown fields are dropped, so older collectors
 * accept newer SDKs.
 *
 * `null` (JSON null, msgpack nil) in an optional field means the field is absent, as in
 * hand-written, Segment- and PostHog-style payloads; a prop whose value is `null` is left out of
 * the event's props (the stored props map cannot hold "no value", and a missing key reads as ""
 * anyway). `name: null` is still `invalid_type:name`, and null inside `revenue` is refused.
 */
export function validateEvent(
  raw: unknown,
  sentAt: number | undefined,
  opts: ValidateOptions,
  index = 0,
): { event: AcceptedEvent } | { reason: RejectionReason } {
  if (!isPlainObject(raw)) return { reason: 'not_an_object' };
  let size = 16;
  // Code units of the strings counted in UTF-8 bytes: name, string fields, prop keys and values.
  let units = 0;

  const name = raw.name;
  if (name === undefined || name === '') return { reason: 'missing_name' };
  const nameErr = checkString(name, 'name', MAX_STRING_LENGTH);
  if (nameErr) return { reason: nameErr };
  units += (name as string).length;

  let id: string;
  if (raw.id == null) id = opts.idAt !== undefined ? opts.idAt(index) : opts.newId();
  else {
    const idErr = checkString(raw.id, 'id', MAX_ID_LENGTH);
    if (idErr) return { reason: idErr };
    if (raw.id === '') return { reason: 'invalid_value:id' };
    id = raw.id as string;
  }
  size += id.length;

  const rawTs = raw.ts ?? undefined;
  if (rawTs !== undefined && (!isFiniteNumber(rawTs) || rawTs <= 0)) return { reason: 'invalid_type:ts' };
  const ts = correctTimestamp(rawTs as number | undefined, sentAt, opts.receivedAt);
  const maxAge = opts.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS;
  if (ts < opts.receivedAt - maxAge) return { reason: 'too_old' };
  if (ts > opts.receivedAt + MAX_EVENT_FUTURE_MS) return { reason: 'too_far_in_future' };

  const event: AcceptedEvent = { id, name: name as string, ts };

  for (const field of STRING_FIELDS) {
    const v = raw[field];
    if (v == null) continue;
    const err = checkString(v, field, MAX_STRING_LENGTH);
    if (err) return { reason: err };
    event[field] = v as string;
    units += (v as string).length;
  }
  if (event.name === PAGEVIEW) {
    if (!event.url) return { reason: 'pageview_without_url' };
    // Only a pageview's: its url is the page it counts; another event's url is context, and
    // refusing (say) a purchase over it would lose revenue. The aggregator reads every url alike.
    if (opts.anyPageviewUrl !== true && urlKind(event.url) === 'other') return { reason: 'invalid_url:url' };
  }

  if (raw.screen_width != null) {
    const w = raw.screen_width;
    if (!isFiniteNumber(w)) return { reason: 'invalid_type:screen_width' };
    if (!Number.isInteger(w) || w < 0 || w > MAX_SCREEN_WIDTH) return { reason: 'invalid_value:screen_width' };
    event.screen_width = w;
  }

  if (raw.revenue != null) {
    const r = raw.revenue;
    if (!isPlainObject(r)) return { reason: 'invalid_type:revenue' };
    if (!isFiniteNumber(r.amount)) return { reason: 'invalid_type:revenue.amount' };
    if (typeof r.currency !== 'string') return { reason: 'invalid_type:revenue.currency' };
    if (!/^[A-Z]{3}$/.test(r.currency)) return { reason: 'invalid_value:revenue.currency' };
    event.revenue = { amount: r.amount, currency: r.currency };
    size += 16;
  }

  if (raw.props != null) {
    const p = raw.props;
    if (!isPlainObject(p)) return { reason: 'invalid_type:props' };
    const keys = Object.keys(p);
    if (keys.length > MAX_PROPS) return { reason: 'too_many_props' };
    const props: Record<string, PropValue> = {};
    for (const key of keys) {
      if (key.length === 0 || key.length > MAX_PROP_KEY_LENGTH) return { reason: `invalid_prop_key:${key.slice(0, MAX_PROP_KEY_LENGTH)}` };
      const v = p[key];
      if (v === null) continue;
      if (typeof v === 'string') {
        if (v.length > MAX_STRING_LENGTH) return { reason: `invalid_prop_value:${key}` };
        units += v.length;
      } else if (typeof v === 'number') {
        if (!Number.isFinite(v)) return { reason: `invalid_prop_value:${key}` };
        size += 9;
      } else if (typeof v === 'boolean') {
        size += 1;
      } else return { reason: `invalid_prop_value:${key}` };
      units += key.length;
      // defineProperty: a key named "__proto__" must stay a plain own property.
      Object.defineProperty(props, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    event.props = props;
  }

  // A UTF-16 code unit is at most 3 UTF-8 bytes: only an event that might be too large pays for
  // the exact count (it was a fifth of the collector's CPU per batch).
  if (size + 3 * units > MAX_EVENT_BYTES && size + stringBytes(event) > MAX_EVENT_BYTES) return { reason: 'event_too_large' };
  return { event };
}

/**
 * Validates a decoded body. A body that is not a batch at all throws BodyError;
 * individual bad events are listed in `rejected` with their index.
 */
export function validateBatch(body: unknown, opts: ValidateOptions): ValidatedBatch {
  if (!isPlainObject(body)) throw new BodyError('not_a_batch', 'body must be an object {sent_at?, events: [...]}');
  const events = body.events;
  if (!Array.isArray(events)) throw new BodyError('not_a_batch', 'body.events must be an array');
  if (events.length > MAX_EVENTS_PER_BATCH) {
    throw new BodyError('too_many_events', `a batch holds at most ${MAX_EVENTS_PER_BATCH} events, got ${events.length}`);
  }
  const sentAt = body.sent_at ?? undefined;
  if (sentAt !== undefined && (!isFiniteNumber(sentAt) || sentAt <= 0)) {
    throw new BodyError('invalid_sent_at', 'sent_at must be a positive number (ms since epoch)');
  }
  const accepted: AcceptedEvent[] = [];
  const rejected: Rejection[] = [];
  for (let i = 0; i < events.length; i++) {
    const r = validateEvent(events[i], sentAt as number | undefined, opts, i);
    if ('event' in r) accepted.push(r.event);
    else rejected.push({ index: i, reason: r.reason });
  }
  return { accepted, rejected };
}
