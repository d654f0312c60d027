// A msgpack encoder small enough for the script tag. It must write exactly the
// bytes msgpackr writes with `useRecords: false` (the shared protocol vectors):
// maps always as map16, integers outside 32 bits and all non-integers as float64.
// Keys whose value is undefined are left out (JSON semantics).

export function encode(value: unknown): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  // The 8/16/32-bit forms of a type are base, base + 1, base + 2 in msgpack;
  // `m` picks the width (it defaults to `n`, the number written big-endian).
  const head = (base: number, n: number, m = n): void => {
    let len = m < 256 ? 1 : m < 65536 ? 2 : 4;
    out.push(base + (len >> 1));
    while (len--) out.push((n >>> (len * 8)) & 255);
  };
  // `any` spares the casts, and each cast's extra binding survives minification.
  const put = (v: any): void => {
    const t = typeof v;
    if (t == 'string') {
      const b = new TextEncoder().encode(v);
      if (b.length < 32) out.push(160 | b.length);
      else head(217, b.length);
      // A loop, not push(...b): spreading a long string overflows the stack.
      for (const x of b) out.push(x);
    } else if (t == 'number') {
      if (v >>> 0 === v) {
        if (v < 128) out.push(v);
        else head(204, v);
      } else if (v >> 0 === v) {
        // int8 for -128..-33, int16 down to -32768: ~v * 2 maps those to < 256 and < 65536.
        if (v < -32) head(208, v, ~v * 2);
        else out.push(v & 255);
      } else {
        // float64, big-endian: typed arrays use the platform's byte order, and
        // every platform a browser runs on is little-endian (a DataView costs more bytes).
        out.push(203, ...new Uint8Array(Float64Array.of(v).buffer).reverse());
      }
    } else if (t == 'boolean') {
      // false is 0xc2, true 0xc3: adding the boolean is shorter than choosing.
      out.push(194 + v);
    } else if (v == null) out.push(192);
    else if (Array.isArray(v)) {
      // array16 is 220: the 16/32-bit pair of base 219, so force at least 16 bits.
      if (v.length < 16) out.push(144 | v.length);
      else head(219, v.length, v.length | 256);
      v.forEach(put);
    } else {
      const keys = Object.keys(v).filter((k) => v[k] !== undefined);
      head(221, keys.length, 256);
      for (const k of keys) {
        put(k);
        put(v[k]);
      }
    }
  };
  put(value);
  return new Uint8Array(out);
}
