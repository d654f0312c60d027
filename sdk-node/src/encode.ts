import { Packr, Unpackr } from 'msgpackr';

// Plain maps (no msgpackr records): the protocol's encoding, readable by any msgpack decoder.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/**
 * Upper bound of the bytes around the events: map16 header (msgpackr writes maps so)
 * + "sent_at" + float64 + "events" + array32 header.
 */
export const BODY_OVERHEAD_BYTES = 3 + 8 + 9 + 7 + 5;

/**
 * One event, encoded once at `track` time; a retry reuses the bytes. msgpackr hands
 * out views into its current working buffer and never writes over them, so events
 * tracked together sit side by side in memory.
 */
export function encodeEvent(event: Record<string, unknown>): Uint8Array {
  return packr.pack(event);
}

export function decodeEvent(bytes: Uint8Array): Record<string, unknown> {
  return unpackr.unpack(bytes) as Record<string, unknown>;
}

const SENT_AT_KEY = packr.pack('sent_at').slice();
const EVENTS_KEY = packr.pack('events').slice();

/**
 * The body `{sent_at, events: [...]}` from already encoded events: a msgpack array is
 * its header followed by its elements, so no event is encoded again. The bytes equal
 * `packr.pack({ sent_at, events })` (src/encode.test.ts). `sent_at` is stamped per
 * attempt: the collector corrects clock skew with it, so a retry must not reuse the
 * first attempt's.
 */
export function encodeBody(events: readonly Uint8Array[], eventBytes: number, sentAt: number): Uint8Array {
  const sentAtBytes = packr.pack(sentAt);
  const n = events.length;
  const arrayHeader = n < 16 ? 1 : n < 0x10000 ? 3 : 5;
  const total = 3 + SENT_AT_KEY.length + sentAtBytes.length + EVENTS_KEY.length + arrayHeader + eventBytes;
  const out = new Uint8Array(total);
  let p = 0;
  out[p++] = 0xde;
  out[p++] = 0;
  out[p++] = 2;
  out.set(SENT_AT_KEY, p);
  p += SENT_AT_KEY.length;
  out.set(sentAtBytes, p);
  p += sentAtBytes.length;
  out.set(EVENTS_KEY, p);
  p += EVENTS_KEY.length;
  if (n < 16) out[p++] = 0x90 | n;
  else if (n < 0x10000) {
    out[p++] = 0xdc;
    out[p++] = n >>> 8;
    out[p++] = n & 0xff;
  } else {
    out[p++] = 0xdd;
    out[p++] = n >>> 24;
    out[p++] = (n >>> 16) & 0xff;
    out[p++] = (n >>> 8) & 0xff;
    out[p++] = n & 0xff;
  }
  for (const e of events) {
    out.set(e, p);
    p += e.length;
  }
  return out;
}
