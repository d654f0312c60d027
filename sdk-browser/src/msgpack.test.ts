import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { bytesToHex, msgpackVectors } from '@pulse/protocol/vectors';
import { encode } from './msgpack.js';

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = ['a', 'Z', '0', ' ', '/', '?', '=', 'é', 'ß', '€', '日', '本', '🛒', '🎉', '\u0000', '\n', '"'];
// Lengths around every msgpack size boundary (fixstr 31, str8 255, str16 65535).
const LENGTHS = [0, 1, 5, 30, 31, 32, 33, 100, 254, 255, 256, 257, 1024, 65535, 65536];

function generator(random: () => number, { loneSurrogates = false } = {}) {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const string = (): string => {
    const len = random() < 0.9 ? int(40) : pick(LENGTHS);
    let s = '';
    while (s.length < len) s += loneSurrogates && random() < 0.05 ? pick(['\ud800', '\udfff']) : pick(CHARS);
    return s;
  };
  const number = (): number => {
    switch (int(8)) {
      case 0: return int(128);
      case 1: return int(70_000);
      case 2: return int(2 ** 32) + (random() < 0.5 ? 0 : 2 ** 32);
      case 3: return 0 - int(40); // never -0, which msgpack (and msgpackr) writes as 0
      case 4: return 0 - int(2 ** 31 + 10);
      case 5: return (random() - 0.5) * 10 ** int(20);
      case 6: return Date.now() + int(1e6);
      default: return pick([127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, 0.5, 1e300]);
    }
  };
  const value = (depth: number): unknown => {
    const k = int(depth > 2 ? 4 : 6);
    if (k === 0) return string();
    if (k === 1) return number();
    if (k === 2) return random() < 0.5;
    if (k === 3) return null;
    // Now and then a container past the 16-entry boundary, with leaves only, to stay quick.
    const big = depth < 2 && random() < 0.1;
    if (k === 4) return Array.from({ length: big ? 300 : int(18) }, () => value(big ? 3 : depth + 1));
    const o: Record<string, unknown> = {};
    const n = big ? 200 : int(20);
    // Cut by code points: slicing UTF-16 could split a pair into lone surrogates.
    for (let i = 0; i < n; i++) o[Array.from(string()).slice(0, 64).join('') || `k${i}`] = value(big ? 3 : depth + 1);
    return o;
  };
  const event = (): Record<string, unknown> => {
    const e: Record<string, unknown> = { id: crypto.getRandomValues(new Uint32Array(4)).join(''), name: pick(['pageview', 'signup', string()]), ts: number(), url: `https://shop.example/${string()}` };
    if (random() < 0.5) e.title = string();
    if (random() < 0.5) e.screen_width = int(4000);
    if (random() < 0.5) e.props = Object.fromEntries(Array.from({ length: int(10) }, (_, i) => [`p${i}`, pick([string(), number(), random() < 0.5])]));
    if (random() < 0.3) e.revenue = { amount: number(), currency: 'EUR' };
    return e;
  };
  const batch = () => ({ sent_at: Date.now(), events: Array.from({ length: int(30) }, event) });
  return { value, batch };
}

describe('msgpack encoder', () => {
  it.each(msgpackVectors.map((v) => [v.name, v] as const))('reproduces the shared vector "%s" byte for byte', (_name, v) => {
    expect(bytesToHex(encode(v.input))).toBe(v.hex);
  });

  it('covers every vector the protocol ships', () => {
    expect(msgpackVectors.length).toBeGreaterThan(40);
  });

  it('writes random batches that msgpackr reads back equal, in the same bytes as msgpackr', () => {
    const seed = 20261126;
    const gen = generator(rng(seed));
    for (let i = 0; i < 300; i++) {
      const batch = gen.batch();
      const bytes = encode(batch);
      // isDeepStrictEqual and Buffer.equals: expect's diffing is far too slow on values this size.
      expect(isDeepStrictEqual(unpack(bytes), batch), `seed ${seed}, case ${i}: decodes to something else`).toBe(true);
      expect(Buffer.from(bytes).equals(encodeMsgpack(batch)), `seed ${seed}, case ${i}: bytes differ from msgpackr`).toBe(true);
    }
  });

  it('writes random nested values byte-identical to msgpackr', () => {
    const seed = 4;
    const gen = generator(rng(seed));
    for (let i = 0; i < 300; i++) {
      const v = gen.value(0);
      const bytes = encode(v);
      expect(isDeepStrictEqual(unpack(bytes), v), `seed ${seed}, case ${i}: decodes to something else`).toBe(true);
      expect(Buffer.from(bytes).equals(encodeMsgpack(v)), `seed ${seed}, case ${i}: bytes differ from msgpackr`).toBe(true);
    }
  });

  it('writes lone surrogates as U+FFFD, like msgpackr and TextEncoder', () => {
    const gen = generator(rng(99), { loneSurrogates: true });
    for (let i = 0; i < 200; i++) {
      const v = gen.value(0);
      expect(Buffer.from(encode(v)).equals(encodeMsgpack(v)), `case ${i}: bytes differ from msgpackr`).toBe(true);
    }
  });

  it('agrees with msgpackr on -0, NaN and the infinities', () => {
    for (const n of [-0, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2, 5e-324]) {
      expect(bytesToHex(encode(n)), String(n)).toBe(bytesToHex(encodeMsgpack(n)));
    }
  });

  it('leaves out keys whose value is undefined, as JSON does', () => {
    const bytes = encode({ a: 1, b: undefined, c: { d: undefined, e: 'x' } });
    expect(unpack(bytes)).toStrictEqual({ a: 1, c: { e: 'x' } });
    expect(bytesToHex(bytes)).toBe(bytesToHex(encodeMsgpack({ a: 1, c: { e: 'x' } })));
  });
});
