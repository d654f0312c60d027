import { Packr, Unpackr } from 'msgpackr';

// Plain maps, no msgpackr record extension: every msgpack encoder (the browser's
// included) must produce and read the same bytes.
const packr = new Packr({ useRecords: false, moreTypes: false });
/** Object mode: fast, but a `__proto__` key comes back renamed `__proto_` (msgpackr's guard). */
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
/** Map mode, made plain objects by `plainObjects`: every key as sent, `__proto__` included. */
const mapUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'number' });
const PROTO_KEY = Buffer.from('__proto__');

/** The canonical msgpack encoding (what the shared test vectors pin down). */
export function encodeMsgpack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Any msgpack value, maps as plain objects whose keys are all own properties, `__proto__`
 * included. Bytes that contain "__proto__" anywhere (a native substring search, ~0.6 ns a byte
 * on the shared test machine) take the slower exact decode.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(PROTO_KEY) ? decodeMsgpackExact(bytes) : unpackr.unpack(bytes);
}

/**
 * The fast object-mode decode, for callers that know where a `__proto__` key would matter and
 * check there (`hasRenamedProps`), calling `decodeMsgpackExact` when it may have been renamed:
 * batch bodies and stream messages, whose sizes made the search cost ~15 % of their decode.
 */
export function decodeMsgpackLoose(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

/** Every key as sent: the map-mode decode made plain objects (~1.5× the object mode's time). */
export function decodeMsgpackExact(bytes: Uint8Array): unknown {
  return plainObjects(mapUnpackr.unpack(bytes));
}

/**
 * Whether an event list from `decodeMsgpackLoose` has a props map holding `__proto_`, the name a
 * `__proto__` key comes back with. Props are the only place an event keeps keys it was sent
 * (other unknown keys are dropped), so elsewhere the renaming is harmless.
 */
export function hasRenamedProps(events: unknown): boolean {
  if (!Array.isArray(events)) return false;
  for (const e of events) {
    const p = (e as { props?: unknown } | null)?.props;
    if (typeof p === 'object' && p !== null && Object.hasOwn(p, '__proto_')) return true;
  }
  return false;
}

/** `v` with every Map (nested in maps and arrays) turned into the object the object mode builds. */
function plainObjects(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) {
      const key = keyString(k);
      const value = plainObjects(x);
      // defineProperty: a plain assignment of "__proto__" would set the prototype.
      if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
      else o[key] = value;
    }
    return o;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = plainObjects(v[i]);
    return v;
  }
  return v;
}

/** A map key as object mode names it (msgpackr's own rule), so both decodes give equal objects. */
function keyString(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'boolean' || typeof k === 'bigint') return k.toString();
  if (k == null) return String(k);
  throw new Error(`Invalid property type for record: ${typeof k}. A MessagePack map with non-string keys can be decoded as a Map with mapsAsObjects: false`);
}
