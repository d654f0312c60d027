import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { BODY_OVERHEAD_BYTES, decodeEvent, encodeBody, encodeEvent } from './encode.js';

const reference = new Packr({ useRecords: false, moreTypes: false });

function events(n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({
    id: `id-${i}`,
    name: i % 2 ? 'signup' : 'pageview',
    ts: 1_764_000_000_000 + i,
    url: `https://shop.example/p/${i}`,
    props: { plan: 'pro', seats: i, trial: i % 3 === 0, 'ü': 'ß€😀' },
  }));
}

describe('encodeBody', () => {
  for (const n of [0, 1, 15, 16, 500, 70_000]) {
    it(`equals msgpackr's encoding of {sent_at, events} for ${n} events`, () => {
      const evs = events(n);
      const parts = evs.map(encodeEvent);
      const size = parts.reduce((s, p) => s + p.length, 0);
      const sentAt = 1_764_000_123_456;
      const body = encodeBody(parts, size, sentAt);
      expect(Buffer.from(body).equals(reference.pack({ sent_at: sentAt, events: evs }))).toBe(true);
      expect(body.length - size).toBeLessThanOrEqual(BODY_OVERHEAD_BYTES);
    });
  }

  it('keeps earlier encodings intact while encoding more', () => {
    const first = encodeEvent({ id: 'a', name: 'x', ts: 1 });
    const copy = first.slice();
    for (let i = 0; i < 10_000; i++) encodeEvent({ id: `b${i}`, name: 'y'.repeat(i % 300), ts: i });
    expect(Buffer.from(first).equals(Buffer.from(copy))).toBe(true);
    expect(decodeEvent(first)).toEqual({ id: 'a', name: 'x', ts: 1 });
  });
});
