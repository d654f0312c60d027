import { describe, expect, it } from 'vitest';
import { encodeMsgpack, parseBatch, rawEventId } from './codec.js';
import { MAX_EVENT_FUTURE_MS, MAX_PROP_KEY_LENGTH, MAX_PROPS, MAX_STRING_LENGTH } from './limits.js';
import { scanMsgpackBatch } from './msgpack-scan.js';

const NOW = 1_764_169_200_000;
const ID_BASE = 'c1-42';
const idAt = (i: number) => rawEventId(ID_BASE, i);
const scan = (b: Uint8Array) => scanMsgpackBatch(b, { receivedAt: NOW, idLength: (i) => idAt(i).length });
const full = (b: Uint8Array) => parseBatch(b, 'application/msgpack', { receivedAt: NOW, idAt });

/** The contract: a count from the scan means the full path accepts exactly that many, none rejected. */
function checkAgrees(b: Uint8Array): number | undefined {
  const n = scan(b);
  if (n !== undefined) {
    const f = full(b);
    expect(f.ok, 'scan accepted a body the full path refuses').toBe(true);
    if (f.ok) {
      expect(f.rejected, 'scan accepted a body with rejected events').toEqual([]);
      expect(f.accepted.length).toBe(n);
    }
  }
  return n;
}

// --- a raw msgpack writer, for layouts msgpackr never produces (repeated keys, float32, str16 …)
type Raw = number[];
const u8 = (...b: number[]): Raw => b;
const be = (v: number, n: number): Raw => Array.from({ length: n }, (_, i) => (v >>> (8 * (n - 1 - i))) & 0xff);
function str(s: string, form: 'fix' | 'str8' | 'str16' | 'str32' = 'fix'): Raw {
  const b = [...new TextEncoder().encode(s)];
  return strBytes(b, form);
}
function strBytes(b: number[], form: 'fix' | 'str8' | 'str16' | 'str32' = 'fix'): Raw {
  if (form === 'fix' && b.length < 32) return [0xa0 | b.length, ...b];
  if (form === 'str8' || (form === 'fix' && b.length < 256)) return [0xd9, b.length, ...b];
  if (form === 'str16' || (form === 'fix' && b.length < 65536)) return [0xda, ...be(b.length, 2), ...b];
  return [0xdb, ...be(b.length, 4), ...b];
}
const map = (entries: Raw[][], form: 'fix' | 'map16' = 'fix'): Raw => [...(form === 'fix' ? [0x80 | entries.length] : [0xde, ...be(entries.length, 2)]), ...entries.flat(2)];
const arr = (items: Raw[]): Raw => [0x90 | items.length, ...items.flat()];
function f64(v: number): Raw {
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, v);
  return [0xcb, ...new Uint8Array(d.buffer)];
}
function f32(v: number): Raw {
  const d = new DataView(new ArrayBuffer(4));
  d.setFloat32(0, v);
  return [0xca, ...new Uint8Array(d.buffer)];
}
function u64(v: bigint): Raw {
  const d = new DataView(new ArrayBuffer(8));
  d.setBigUint64(0, v);
  return [0xcf, ...new Uint8Array(d.buffer)];
}
const bytes = (r: Raw) => Uint8Array.from(r);
const pageview = (extra: Raw[][] = []): Raw => map([[str('name'), str('pageview')], [str('url'), str('https://a.example/')], [str('ts'), f64(NOW - 1000)], ...extra]);

/** Deterministic xorshift, so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

describe('scanMsgpackBatch', () => {
  it('counts what an SDK sends (the fast path is taken) and agrees with the full path', () => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      name: i % 3 === 0 ? 'signup' : 'pageview',
      url: `https://shop.example/p/${i}?utm_source=x`,
      referrer: 'https://www.google.com/',
      title: 'Ünïcödé 🚀 page',
      visitor_id: `v${i}`,
      session_id: 's1',
      ts: NOW - i,
      screen_width: 1440,
      lang: 'en-US',
      ...(i % 2 ? { id: `e-${i}`, props: { plan: 'pro', n: i, ok: true, ratio: 0.5, neg: -3 } } : {}),
    }));
    expect(checkAgrees(encodeMsgpack({ sent_at: NOW - 5, events }))).toBe(100);
    expect(checkAgrees(encodeMsgpack({ events: [{ name: 'x' }] }))).toBe(1);
    expect(checkAgrees(encodeMsgpack({ events }))).toBe(100);
  });

  it('reads sent_at after events, map16/str8/str16/uint64 forms and repeated keys as the decoder does', () => {
    const late = map([[str('events'), arr([pageview()])], [str('sent_at'), f64(NOW)]]);
    expect(checkAgrees(bytes(late))).toBe(1);
    // sent_at after events still corrects the clock: a client 1 h behind sends ts 1 h old.
    const skewed = map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), f64(NOW - 3_600_000 + MAX_EVENT_FUTURE_MS / 2)]])])], [str('sent_at'), f64(NOW - 3_600_000)]]);
    expect(checkAgrees(bytes(skewed))).toBe(1);
    const forms = map([[str('events', 'str8'), arr([map([[str('name', 'str16'), str('x', 'str32')], [str('ts'), u64(BigInt(NOW))]], 'map16')])]], 'map16');
    expect(checkAgrees(bytes(forms))).toBe(1);
    // Repeated keys: the last wins in the decoder; the scan must never be more lenient.
    const lastUrlEmpty = map([[str('events'), arr([pageview([[str('url'), str('')]])])]]);
    expect(checkAgrees(bytes(lastUrlEmpty))).toBeUndefined();
    const lastNamePageview = map([[str('events'), arr([map([[str('name'), str('x')], [str('name'), str('pageview')]])])]]);
    expect(checkAgrees(bytes(lastNamePageview))).toBeUndefined();
    const lastTsOld = map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), f64(NOW)], [str('ts'), f64(1)]])])]]);
    expect(checkAgrees(bytes(lastTsOld))).toBeUndefined();
    const twoEvents = map([[str('events'), arr([pageview()])], [str('events'), arr([pageview(), pageview()])]]);
    expect(checkAgrees(bytes(twoEvents))).toBeUndefined();
  });

  it.each([
    ['nil ts', map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), u8(0xc0)]])])]])],
    ['float32 ts', map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), f32(NOW)]])])]])],
    ['NaN ts', map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), f64(Number.NaN)]])])]])],
    ['uint64 beyond 2^53', map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), u64(2n ** 60n)]])])]])],
    ['too old', map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), f64(NOW - 30 * 86_400_000)]])])]])],
    ['future', map([[str('events'), arr([map([[str('name'), str('x')], [str('ts'), f64(NOW + 2 * MAX_EVENT_FUTURE_MS)]])])]])],
    ['unknown event key', map([[str('events'), arr([map([[str('name'), str('x')], [str('extra'), str('y')]])])]])],
    ['unknown top key', map([[str('v'), u8(1)], [str('events'), arr([pageview()])]])],
    ['a pageview url that is not a url', map([[str('events'), arr([pageview([[str('url'), str('not a url')]])])]])],
    ['a protocol-relative pageview url', map([[str('events'), arr([pageview([[str('url'), str('//cdn.example/x')]])])]])],
    ['a pageview url without a host', map([[str('events'), arr([pageview([[str('url'), str('https:///x')]])])]])],
    ['a pageview url whose host is not ASCII', map([[str('events'), arr([pageview([[str('url'), str('https://bücher.example/')]])])]])],
    ['a pageview path whose second byte is not ASCII (an overlong "/"?)', map([[str('events'), arr([pageview([[str('url'), strBytes([0x2f, 0xc0, 0xaf, 0x78])]])])]])],
    ['a later repeated pageview url that is not a url', map([[str('events'), arr([pageview([[str('url'), str('/ok')], [str('url'), str('nope')]])])]])],
    ['revenue', map([[str('events'), arr([map([[str('name'), str('x')], [str('revenue'), map([[str('amount'), f64(1)], [str('currency'), str('EUR')]])]])])]])],
    ['BOM-only name', map([[str('events'), arr([map([[str('name'), strBytes([0xef, 0xbb, 0xbf])]])])]])],
    ['binary value', map([[str('events'), arr([map([[str('name'), u8(0xc4, 1, 0x41)]])])]])],
    ['trailing byte', [...map([[str('events'), arr([pageview()])]]), 0x00]],
    ['empty name', map([[str('events'), arr([map([[str('name'), str('')]])])]])],
    ['empty id', map([[str('events'), arr([map([[str('name'), str('x')], [str('id'), str('')]])])]])],
    ['pageview without url', map([[str('events'), arr([map([[str('name'), str('pageview')]])])]])],
    ['name too long', map([[str('events'), arr([map([[str('name'), str('n'.repeat(MAX_STRING_LENGTH + 1))]])])]])],
    ['too many props', map([[str('events'), arr([map([[str('name'), str('x')], [str('props'), map(Array.from({ length: MAX_PROPS + 1 }, (_, i) => [str(`k${i}`), u8(1)]), 'map16')]])])]])],
    ['prop key too long', map([[str('events'), arr([map([[str('name'), str('x')], [str('props'), map([[str('k'.repeat(MAX_PROP_KEY_LENGTH + 1)), u8(1)]])]])])]])],
    ['screen width fraction', map([[str('events'), arr([map([[str('name'), str('x')], [str('screen_width'), f64(10.5)]])])]])],
    ['negative sent_at', map([[str('sent_at'), u8(0xff)], [str('events'), arr([pageview()])]])],
  ])('gives up on %s (the full path decides)', (_name, raw) => {
    expect(checkAgrees(bytes(raw))).toBeUndefined();
  });

  it('counts pageviews whose url is a path, and any url on other events, as the full path does', () => {
    expect(checkAgrees(bytes(map([[str('events'), arr([pageview([[str('url'), str('/relative/path?ref=x')]])])]])))).toBe(1);
    expect(checkAgrees(bytes(map([[str('events'), arr([pageview([[str('url'), str('HTTPS://A.EXAMPLE')]])])]])))).toBe(1);
    // The url before the name: the verdict waits for the name.
    expect(checkAgrees(bytes(map([[str('events'), arr([map([[str('url'), str('/p')], [str('name'), str('pageview')]])])]])))).toBe(1);
    expect(checkAgrees(bytes(map([[str('events'), arr([map([[str('url'), str('nope')], [str('name'), str('pageview')]])])]])))).toBeUndefined();
    expect(checkAgrees(bytes(map([[str('events'), arr([map([[str('name'), str('buy')], [str('url'), str('not a url')]])])]])))).toBe(1);
  });

  it('counts a "__proto__" prop key (the decoder keeps it as a plain key)', () => {
    const b = bytes(map([[str('events'), arr([map([[str('name'), str('x')], [str('props'), map([[str('__proto__'), str('y')], [str('plan'), str('pro')]])]])])]]));
    expect(checkAgrees(b)).toBe(1);
    const f = full(b);
    expect(f.ok && Object.entries(f.accepted[0]?.props ?? {})).toEqual([['__proto__', 'y'], ['plan', 'pro']]);
  });

  it('bounds string lengths by their bytes: exact for ASCII, the full path decides the rest', () => {
    const at = (s: string) => bytes(map([[str('events'), arr([map([[str('name'), str(s)]])])]]));
    expect(checkAgrees(at('a'.repeat(MAX_STRING_LENGTH)))).toBe(1);
    expect(checkAgrees(at('a'.repeat(MAX_STRING_LENGTH + 1)))).toBeUndefined();
    // 512 emoji are 1,024 UTF-16 units (accepted) in 2,048 bytes: over the bound, so not scanned.
    expect(checkAgrees(at('🚀'.repeat(MAX_STRING_LENGTH / 2)))).toBeUndefined();
    expect(full(at('🚀'.repeat(MAX_STRING_LENGTH / 2)))).toMatchObject({ ok: true, rejected: [] });
  });

  it.each([
    ['overlong', [0xc0, 0x80]],
    ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['truncated sequence', [0x41, 0xe2, 0x82]],
    ['lone continuation', [0x80]],
    ['BOM then text', [0xef, 0xbb, 0xbf, 0x41]],
  ])('agrees with the full path on strings that are not UTF-8 (%s)', (_name, b) => {
    for (const field of ['name', 'url', 'title']) {
      const e = field === 'name' ? [[str('name'), strBytes(b)]] : [[str('name'), str('x')], [str(field), strBytes(b)]];
      checkAgrees(bytes(map([[str('events'), arr([map(e as Raw[][])])]])));
    }
  });

  it('never accepts more than the full path on 20,000 generated and mutated bodies', () => {
    const r = rng(20261205);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const strings = ['', 'a', 'pageview', 'https://x.example/a?b=c', '/rel/path', '//x.example/', 'not a url', 'https://ü.example/', 'Ünïcödé', '🚀', 'x'.repeat(MAX_STRING_LENGTH), 'x'.repeat(MAX_STRING_LENGTH + 1), '__proto__', '\uFEFFbom'];
    const values: unknown[] = [...strings, 0, -1, 1.5, NOW, NOW - 1, NOW * 2, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, true, false, null, { a: 1 }, [1], new Uint8Array([1])];
    const keys = ['name', 'id', 'ts', 'url', 'referrer', 'title', 'visitor_id', 'session_id', 'user_id', 'lang', 'screen_width', 'props', 'revenue', 'other'];
    let fast = 0;
    for (let n = 0; n < 20_000; n++) {
      const events = Array.from({ length: Math.floor(r() * 4) }, () => {
        const e: Record<string, unknown> = r() < 0.7 ? { name: pick(['pageview', 'x']), url: 'https://a.example/', ts: NOW - Math.floor(r() * 1e6) } : {};
        const extra = Math.floor(r() * 3);
        for (let k = 0; k < extra; k++) {
          const key = pick(keys);
          e[key] = key === 'props' ? Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, () => [pick(strings), pick(values)])) : pick(values);
        }
        return e;
      });
      const body: Record<string, unknown> = { events };
      if (r() < 0.5) body['sent_at'] = pick([NOW, NOW - 3_600_000, 0, -5, 1.5]);
      const b = encodeMsgpack(body);
      if (checkAgrees(b) !== undefined) fast++;
      // Mutations: flip a byte, truncate, or append.
      const m = Uint8Array.from(b);
      const at = Math.floor(r() * m.length);
      const kind = r();
      if (kind < 0.6) m[at] = Math.floor(r() * 256);
      checkAgrees(kind < 0.6 ? m : kind < 0.8 ? m.subarray(0, at) : Uint8Array.from([...m, Math.floor(r() * 256)]));
    }
    // The generator must exercise the fast path, or this test proves nothing.
    expect(fast).toBeGreaterThan(2_000);
  });
});
