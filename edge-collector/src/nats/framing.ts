/**
 * A stream message `{v, records: [...]}` assembled from records each encoded
 * on its own request. With plain maps (no msgpackr records) msgpack encoding is
 * context-free, so the bytes equal `encodeStreamMessage` of the whole message;
 * a unit test pins that down. `v` is 2 when a record is raw (the body as received), else 1.
 */
// msgpackr writes every map header as map16 (0xde), the 2-entry one included.
const HEAD = new Uint8Array([0xde, 0x00, 0x02, 0xa1, 0x76, 0x01, 0xa7, ...new TextEncoder().encode('records')]);
/** Where the version (a positive fixint) sits in HEAD. */
const VERSION_AT = 5;

export const FRAME_OVERHEAD = HEAD.length + 5;

export function frameStreamMessage(records: readonly Uint8Array[], recordBytes: number, version: 1 | 2 = 1): Uint8Array {
  const n = records.length;
  const arrHead = n < 16 ? 1 : n < 0x10000 ? 3 : 5;
  const out = new Uint8Array(HEAD.length + arrHead + recordBytes);
  out.set(HEAD, 0);
  out[VERSION_AT] = version;
  let o = HEAD.length;
  if (arrHead === 1) out[o++] = 0x90 | n;
  else if (arrHead === 3) {
    out[o++] = 0xdc;
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  } else {
    out[o++] = 0xdd;
    out[o++] = (n >>> 24) & 0xff;
    out[o++] = (n >>> 16) & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  for (const r of records) {
    out.set(r, o);
    o += r.byteLength;
  }
  return out;
}
