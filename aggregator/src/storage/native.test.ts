import { describe, expect, it } from 'vitest';
import { NativeEncoder, type NativeColumn } from './native.js';

const ascii = (s: string) => [...Buffer.from(s, 'utf8')];
const str = (s: string) => [Buffer.byteLength(s), ...ascii(s)];

function encode(rows: object[], columns: NativeColumn[]): number[] | undefined {
  const chunks = new NativeEncoder().encode(rows, columns);
  return chunks && [...Buffer.concat(chunks)];
}

describe('NativeEncoder', () => {
  it('writes column count, row count, then each column name, type and values', () => {
    const bytes = encode(
      [
        { a: 'hi', n: 1 },
        { a: '', n: 255 },
      ],
      [
        { name: 'a', type: 'LowCardinality(String)' },
        { name: 'n', type: 'UInt8' },
      ],
    );
    expect(bytes).toEqual([2, 2, ...str('a'), ...str('String'), ...str('hi'), 0, ...str('n'), ...str('UInt8'), 1, 255]);
  });

  it('prefixes strings with their UTF-8 byte length as a varint', () => {
    const cols = [{ name: 's', type: 'String' }];
    const long = 'a'.repeat(128);
    const accents = 'é'.repeat(64);
    const bytes = encode([{ s: long }, { s: accents }, { s: '😀' }], cols);
    expect(bytes).toEqual([1, 3, ...str('s'), ...str('String'), 0x80, 0x01, ...ascii(long), 0x80, 0x01, ...ascii(accents), 4, ...ascii('😀')]);
  });

  it('writes DateTime64(3) from ISO strings and integers as little-endian milliseconds, before 1970 too', () => {
    const cols = [{ name: 't', type: "DateTime64(3, 'UTC')" }];
    const bytes = encode([{ t: '1970-01-01T00:00:00.258Z' }, { t: '1969-12-31T23:59:59.999Z' }, { t: '2026-01-31T10:00:00.000Z' }, { t: -2 }], cols);
    const ms = Buffer.alloc(8);
    ms.writeBigInt64LE(BigInt(Date.parse('2026-01-31T10:00:00.000Z')));
    expect(bytes?.slice(-32)).toEqual([2, 1, 0, 0, 0, 0, 0, 0, ...Array(8).fill(0xff), ...ms, 0xfe, ...Array(7).fill(0xff)]);
  });

  it('writes numbers at their width and Map(String, String) as offsets, keys, values', () => {
    const bytes = encode(
      [
        { u: 2 ** 53 - 1, f: 0.5, m: { a: '1' } },
        { u: 0, f: -2, m: {} },
        { u: 7, f: 0, m: { b: '2', c: '3' } },
      ],
      [
        { name: 'u', type: 'UInt64' },
        { name: 'f', type: 'Float64' },
        { name: 'm', type: 'Map(String, String)' },
      ],
    );
    const u64 = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(v);
      return [...b];
    };
    const f64 = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return [...b];
    };
    expect(bytes).toEqual([
      3, 3,
      ...str('u'), ...str('UInt64'), ...u64(2n ** 53n - 1n), ...u64(0n), ...u64(7n),
      ...str('f'), ...str('Float64'), ...f64(0.5), ...f64(-2), ...f64(0),
      ...str('m'), ...str('Map(String, String)'), ...u64(1n), ...u64(1n), ...u64(3n), ...str('a'), ...str('b'), ...str('c'), ...str('1'), ...str('2'), ...str('3'),
    ]);
  });

  it('writes missing values as the column default, as JSONEachRow reads null', () => {
    const bytes = encode([{ s: null, n: undefined }], [
      { name: 's', type: 'String' },
      { name: 'n', type: 'UInt32' },
    ]);
    expect(bytes).toEqual([2, 1, ...str('s'), ...str('String'), 0, ...str('n'), ...str('UInt32'), 0, 0, 0, 0]);
  });

  it.each([
    ['a type it does not know', [{ v: ['x'] }], 'Array(String)'],
    ['a number in a String column', [{ v: 1 }], 'String'],
    ['NaN', [{ v: Number.NaN }], 'Float64'],
    ['Infinity', [{ v: Number.POSITIVE_INFINITY }], 'Float64'],
    ['a fraction in an integer column', [{ v: 1.5 }], 'UInt32'],
    ['an integer out of range', [{ v: 256 }], 'UInt8'],
    ['a negative unsigned value', [{ v: -1 }], 'UInt64'],
    ['an unsafe integer', [{ v: 2 ** 53 }], 'UInt64'],
    ['a time without a zone', [{ v: '2026-01-02 03:04:05.678' }], "DateTime64(3, 'UTC')"],
    ['a fraction of a millisecond', [{ v: 1_700_000_000_000.5 }], "DateTime64(3, 'UTC')"],
    ['a month that does not exist', [{ v: '2026-13-02T03:04:05.678Z' }], "DateTime64(3, 'UTC')"],
    ['an array as a map', [{ v: [] }], 'Map(String, String)'],
    ['a number in a map', [{ v: { a: 1 } }], 'Map(String, String)'],
  ])('leaves %s to the JSON path', (_what, rows, type) => {
    expect(encode(rows, [{ name: 'v', type }])).toBeUndefined();
  });

  it('reuses its buffers: each result is whole until the next call', () => {
    const encoder = new NativeEncoder();
    const cols = [{ name: 's', type: 'String' }];
    const first = Buffer.concat(encoder.encode([{ s: 'x'.repeat(100_000) }], cols) ?? []);
    const second = Buffer.concat(encoder.encode([{ s: 'y' }, { s: 'z' }], cols) ?? []);
    expect(first.length).toBe(2 + 2 + 7 + 3 + 100_000);
    expect([...second]).toEqual([1, 2, ...str('s'), ...str('String'), ...str('y'), ...str('z')]);
  });
});
