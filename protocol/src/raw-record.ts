import { decodeBodyAs } from './body.js';
import { StreamMessageError } from './errors.js';
import { validateBatch, type ValidatedBatch } from './validate.js';
import type { AnyStreamRecord, RawStreamRecord, StreamRecord } from './types.js';

/**
 * The id of the event at `index` of a request when the client sent none. The collector makes
 * ids this way for every request, so a raw record expands to exactly the ids it would have
 * written. `id_base` is `<instance>-<request counter>`; the `.` keeps these ids apart from the
 * older `<instance>-<counter>` ones.
 */
export function rawEventId(idBase: string, index: number): string {
  return `${idBase}.${index.toString(36)}`;
}

export function isRawRecord(record: AnyStreamRecord): record is RawStreamRecord {
  return (record as Partial<RawStreamRecord>).body !== undefined;
}

/**
 * The StreamRecord the collector would have written for a raw record: the body decoded and
 * validated again by the same `validateBatch`, with the collector's receive time (clock
 * correction) and age window, ids from `id_base`. Deterministic: a redelivery or a replay gives
 * the same events. Rules that only narrow what is accepted are the collector's alone (the
 * pageview url rule: `anyPageviewUrl`), so a body kept before one existed still expands; rules
 * that widen it (null as absent) need the aggregators upgraded before the collectors, as the
 * collector's README says. A body that no longer gives exactly the accepted events is a broken
 * producer or a corrupted message: StreamMessageError (poison), never a partial record.
 */
export function expandRawRecord(record: RawStreamRecord): StreamRecord {
  let result: ValidatedBatch;
  try {
    const body = decodeBodyAs(record.body, record.format);
    result = validateBatch(body, {
      receivedAt: record.received_at,
      maxEventAgeMs: record.max_event_age_ms,
      // Bodies older collectors kept whole may hold pageviews the url rule now refuses.
      anyPageviewUrl: true,
      idAt: (i) => rawEventId(record.id_base, i),
    });
  } catch (cause) {
    throw new StreamMessageError(`raw record body no longer reads as a batch: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  const first = result.rejected[0];
  if (first) throw new StreamMessageError(`raw record event ${first.index} no longer validates: ${first.reason}`);
  if (result.accepted.length !== record.accepted) {
    throw new StreamMessageError(`raw record body holds ${result.accepted.length} events, the collector accepted ${record.accepted}`);
  }
  const expanded: StreamRecord = { site_id: record.site_id, received_at: record.received_at, ua: record.ua, country: record.country, events: result.accepted };
  // An archived copy has no ip, but the cookieless ids live gave its events.
  if (record.ip !== undefined) expanded.ip = record.ip;
  if (record.cookieless_ids !== undefined) expanded.cookieless_ids = record.cookieless_ids;
  return expanded;
}

/** Any record as one with its events (raw records expanded). Throws StreamMessageError. */
export function eventRecordOf(record: AnyStreamRecord): StreamRecord {
  return isRawRecord(record) ? expandRawRecord(record) : record;
}
