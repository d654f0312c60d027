import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import { msgpackVectors, bytesToHex, hexToBytes } from './vectors.js';
import { encodeMsgpack } from './codec.js';

describe('shared msgpack test vectors', () => {
  it('cover every msgpack form the SDKs produce', () => {
    const firstBytes = new Set(msgpackVectors.map((v) => v.hex.slice(0, 2)));
    for (const b of ['cc', 'cd', 'ce', 'cb', 'd0', 'd1', 'd2', 'd9', 'da', 'db', 'dc', 'de', 'c0', 'c2', 'c3']) {
      expect(firstBytes, `a vector starting with 0x${b}`).toContain(b);
    }
  });

  it.each(msgpackVectors.map((v) => [v.name, v] as const))('%s: msgpackr reproduces the bytes', (_n, v) => {
    expect(bytesToHex(encodeMsgpack(v.input))).toBe(v.hex);
    expect(unpack(hexToBytes(v.hex))).toEqual(v.input);
  });
});
