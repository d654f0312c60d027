import { Packr, Unpackr } from 'msgpackr';
import { MAX_BODY_BYTES } from './limits.js';
import { BodyError, StreamMessageError } from './errors.js';
import { bodyFormatOf } from './content-type.js';
import { isPlainObject, validateBatch, type ValidateOptions, type ValidatedBatch } from './validate.js';
import type { StreamMessage } from './types.js';

export { bodyFormatOf, type BodyFormat } from './content-type.js';

// Plain maps, no msgpackr record extension: every msgpack encoder (the browser's
// included) must produce and read the same bytes.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The canonical msgpack encoding (what the shared test vectors pin down). */
export function encodeMsgpack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decodeMsgpack(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

/** Decodes a request body to a plain value. Throws BodyError only. */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined | null): unknown {
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new BodyError('body_too_large', `body is ${bytes.byteLength} bytes, the limit is ${MAX_BODY_BYTES}`);
  }
  let format = bodyFormatOf(contentType);
  if (format === undefined) {
    throw new BodyError('unsupported_media_type', `unsupported content type "${String(contentType).slice(0, 100)}"; use application/msgpack, application/json or text/plain`);
  }
  if (format === 'sniff') format = firstNonSpace(bytes) === 0x7b ? 'json' : 'msgpack';
  if (format === 'json') {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (cause) {
      throw new BodyError('invalid_utf8', 'body is not valid UTF-8', { cause });
    }
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new BodyError('invalid_json', `body is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  if (bytes.byteLength === 0) throw new BodyError('invalid_msgpack', 'body is empty');
  try {
    return unpackr.unpack(bytes);
  } catch (cause) {
    throw new BodyError('invalid_msgpack', `body is not valid msgpack: ${(cause as Error).message}`, { cause });
  }
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  return undefined;
}

export type ParseResult = ({ ok: true } & ValidatedBatch) | { ok: false; error: BodyError };

/** Decode and validate a `POST /v1/batch` body. Never throws. */
export function parseBatch(bytes: Uint8Array, contentType: string | undefined | null, opts: ValidateOptions): ParseResult {
  try {
    const body = decodeBody(bytes, contentType);
    return { ok: true, ...validateBatch(body, opts) };
  } catch (e) {
    if (e instanceof BodyError) return { ok: false, error: e };
    // RangeError from absurd nesting and the like: still the client's fault.
    return { ok: false, error: new BodyError('not_a_batch', `body could not be read: ${(e as Error)?.message ?? String(e)}`, { cause: e }) };
  }
}

export function encodeStreamMessage(msg: StreamMessage): Uint8Array {
  return packr.pack(msg);
}

/** Decodes one `EVENTS` message. Throws StreamMessageError (a poison message) only. */
export function decodeStreamMessage(bytes: Uint8Array): StreamMessage {
  let v: unknown;
  try {
    v = unpackr.unpack(bytes);
  } catch (cause) {
    throw new StreamMessageError(`undecodable msgpack: ${(cause as Error).message}`, { cause });
  }
  if (!isPlainObject(v) || v.v !== 1 || !Array.isArray(v.records)) {
    throw new StreamMessageError('not a version 1 stream message');
  }
  for (const r of v.records) {
    if (!isPlainObject(r) || typeof r.site_id !== 'string' || !Array.isArray(r.events) || typeof r.received_at !== 'number') {
      throw new StreamMessageError('stream record lacks site_id, received_at or events');
    }
  }
  return v as unknown as StreamMessage;
}
