import { describe, expect, it } from 'vitest';
import { decodeStreamMessage, encodeMsgpack, encodeStreamMessage } from '@pulse/protocol/codec';
import type { StreamRecord } from '@pulse/protocol';
import { frameStreamMessage } from './framing.js';

function record(i: number): StreamRecord {
  return { site_id: `s_${i}`, received_at: 1_700_000_000_000 + i, ip: '10.0.0.1', ua: 'ua', country: 'DE', events: [{ id: `e${i}`, name: 'pageview', ts: 1_700_000_000_000, url: 'https://x/é', props: { n: i, ok: true } }] };
}

describe('frameStreamMessage', () => {
  for (const n of [1, 15, 16, 300, 70_000]) {
    it(`produces the same bytes as encodeStreamMessage for ${n} records`, () => {
      const records = Array.from({ length: n }, (_, i) => record(i));
      const parts = records.map((r) => encodeMsgpack(r));
      const framed = frameStreamMessage(parts, parts.reduce((s, p) => s + p.byteLength, 0));
      expect(Buffer.from(framed).equals(Buffer.from(encodeStreamMessage({ v: 1, records })))).toBe(true);
      expect(decodeStreamMessage(framed).records).toHaveLength(n);
    });
  }
});
