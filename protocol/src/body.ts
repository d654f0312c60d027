import { MAX_BODY_BYTES } from './limits.js';
import { BodyError } from './errors.js';
import { bodyFormatOf } from './content-type.js';
import { decodeMsgpackExact, decodeMsgpackLoose, hasRenamedProps } from './msgpack.js';
import { isPlainObject, validateBatch, type ValidateOptions, type ValidatedBatch } from './validate.js';
import type { RawBodyFormat } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How a body with this Content-Type is read: `text/plain` and no type are sniffed (`{` = JSON).
 * Throws BodyError `unsupported_media_type`.
 */
export function resolveBodyFormat(bytes: Uint8Array, contentType: string | undefined | null): RawBodyFormat {
  const format = bodyFormatOf(contentType);
  if (format === undefined) {
    throw new BodyError('unsupported_media_type', `unsupported content type "${String(contentType).slice(0, 100)}"; use application/msgpack, application/json or text/plain`);
  }
  if (format !== 'sniff') return format;
  return firstNonSpace(bytes) === 0x7b ? 'json' : 'msgpack';
}

/** Decodes a request body to a plain value. Throws BodyError only. */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined | null): unknown {
  checkSize(bytes);
  return decodeBodyAs(bytes, resolveBodyFormat(bytes, contentType));
}

/** Decodes a body whose format is known (a raw stream record's). Throws BodyError only. */
export function decodeBodyAs(bytes: Uint8Array, format: RawBodyFormat): unknown {
  checkSize(bytes);
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
    const body = decodeMsgpackLoose(bytes);
    // A prop named "__proto__" came back as "__proto_": read the body exactly (rare).
    return isPlainObject(body) && hasRenamedProps(body.events) ? decodeMsgpackExact(bytes) : body;
  } catch (cause) {
    throw new BodyError('invalid_msgpack', `body is not valid msgpack: ${(cause as Error).message}`, { cause });
  }
}

function checkSize(bytes: Uint8Array): void {
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new BodyError('body_too_large', `body is ${bytes.byteLength} bytes, the limit is ${MAX_BODY_BYTES}`);
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
