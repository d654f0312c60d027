import { Packr, Unpackr } from 'msgpackr';

// Plain maps, no msgpackr record extension: every msgpack encoder (the browser's
// included) must produce and read the same bytes.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** The canonical msgpack encoding (what the shared test vectors pin down). */
export function encodeMsgpack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decodeMsgpack(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}
