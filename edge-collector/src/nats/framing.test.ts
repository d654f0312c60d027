import { describe, expect, it } from 'vitest';
import { decodeStreamMessage, encodeMsgpack, encodeStreamMessage, eventRecordOf } from '@pulse/protocol/codec';
import type { AnyStreamRecord, RawStreamRecord, StreamRecord } from '@pulse/protocol';
import { frameStreamMessage } from './framing.js';

function record(i: number): StreamRecord {
  return { site_id: `s_${i}`, received_at: 1_700_000_000_000 + i, ip: '10.0.0.1', ua: 'ua', country: 'DE', events: [{ id: `e${i}`, name: 'pageview', ts: 1_700_000_000_000, url: 'https://x/é', props: { n: i, ok: true } }] };
}

function rawRecord(i: number): RawStreamRecord {
  // Bodies of every bin header size: bin8, bin16 and (every 50th) bin32.
  const padding = 'p'.repeat(i % 50 === 0 ? 70_000 : i % 3 === 0 ? 300 : 10); // a field validation drops
  const body = encodeMsgpack({ sent_at: 1_700_000_000_000, events: [{ name: 'pageview', url: 'https://x/', ts: 1_700_000_000_000, padding }] });
  return { site_id: `s_${i}`, received_at: 1_700_000_000_000 + i, ip: '10.0.0.1', ua: 'ua', country: 'DE', body, format: 'msgpack', max_event_age_ms: 1e12, id_base: `inst-${i}`, accepted: 1 };
}

const frame = (records: AnyStreamRecord[], version: 1 | 2) => {
  const parts = records.map((r) => encodeMsgpack(r));
  return frameStreamMessage(parts, parts.reduce((s, p) => s + p.byteLength, 0), version);
};

describe('frameStreamMessage', () => {
  for (const n of [1, 15, 16, 300, 70_000]) {
    it(`produces the same bytes as encodeStreamMessage for ${n} records`, () => {
      const records = Array.from({ length: n }, (_, i) => record(i));
      const framed = frame(records, 1);
      expect(Buffer.from(framed).equals(Buffer.from(encodeStreamMessage({ v: 1, records })))).toBe(true);
      expect(decodeStreamMessage(framed).records).toHaveLength(n);
    });
  }

  for (const n of [1, 15, 16, 301]) {
    it(`produces the same bytes as encodeStreamMessage for a version 2 message of ${n} mixed records`, () => {
      const records = Array.from({ length: n }, (_, i) => (i % 2 ? record(i) : rawRecord(i)));
      const framed = frame(records, 2);
      expect(Buffer.from(framed).equals(Buffer.from(encodeStreamMessage({ v: 2, records })))).toBe(true);
      const back = decodeStreamMessage(framed);
      expect(back.v).toBe(2);
      expect(back.records.map((r) => eventRecordOf(r).events.map((e) => e.id))).toEqual(records.map((_, i) => [i % 2 ? `e${i}` : `inst-${i}.0`]));
    });
  }
});
