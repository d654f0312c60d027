import { StreamMessageError } from './errors.js';
import { decodeMsgpackExact, decodeMsgpackLoose, encodeMsgpack, hasRenamedProps } from './msgpack.js';
import { isPlainObject } from './validate.js';
import type { AnyStreamMessage } from './types.js';

export function encodeStreamMessage(msg: AnyStreamMessage): Uint8Array {
  return encodeMsgpack(msg);
}

/**
 * Decodes one `EVENTS` message, version 1 or 2. Checks the shape of each record only; raw
 * records are expanded (and so fully checked) by `eventRecordOf`. Throws StreamMessageError (a
 * poison message) only.
 */
export function decodeStreamMessage(bytes: Uint8Array): AnyStreamMessage {
  const loose = readMessage(bytes, decodeMsgpackLoose);
  // A re-encoded event's prop named "__proto__" came back as "__proto_": read it exactly.
  return loose.renamed ? readMessage(bytes, decodeMsgpackExact).msg : loose.msg;
}

function readMessage(bytes: Uint8Array, decode: (b: Uint8Array) => unknown): { msg: AnyStreamMessage; renamed: boolean } {
  let v: unknown;
  try {
    v = decode(bytes);
  } catch (cause) {
    throw new StreamMessageError(`undecodable msgpack: ${(cause as Error).message}`, { cause });
  }
  if (!isPlainObject(v) || (v.v !== 1 && v.v !== 2) || !Array.isArray(v.records)) {
    throw new StreamMessageError('not a version 1 or 2 stream message');
  }
  let renamed = false;
  for (const r of v.records) {
    if (!isPlainObject(r) || typeof r.site_id !== 'string' || typeof r.received_at !== 'number') {
      throw new StreamMessageError('stream record lacks site_id or received_at');
    }
    if (r.cookieless_ids !== undefined && !isCookielessIds(r.cookieless_ids)) {
      throw new StreamMessageError('stream record has malformed cookieless_ids');
    }
    if (Array.isArray(r.events)) {
      renamed ||= hasRenamedProps(r.events);
      continue;
    }
    if (v.v === 1) throw new StreamMessageError('version 1 stream record lacks events');
    if (!isRawShape(r)) throw new StreamMessageError('stream record has neither events nor a well-formed raw body');
  }
  return { msg: v as unknown as AnyStreamMessage, renamed };
}

function isRawShape(r: Record<string, unknown>): boolean {
  return (
    r.body instanceof Uint8Array &&
    (r.format === 'msgpack' || r.format === 'json') &&
    typeof r.max_event_age_ms === 'number' &&
    Number.isFinite(r.max_event_age_ms) &&
    typeof r.id_base === 'string' &&
    r.id_base !== '' &&
    Number.isSafeInteger(r.accepted) &&
    // Archived copies carry no ip (they carry cookieless_ids).
    (r.ip === undefined || typeof r.ip === 'string') &&
    typeof r.ua === 'string' &&
    typeof r.country === 'string'
  );
}

/** An archived record's cookieless ids: day number → id, all strings. */
function isCookielessIds(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) if (Object.hasOwn(v, k) && typeof v[k] !== 'string') return false;
  return true;
}
