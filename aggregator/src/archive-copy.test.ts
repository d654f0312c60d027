import { describe, expect, it } from 'vitest';
import type { RawStreamRecord, StreamMessageV2, StreamRecord } from '@pulse/protocol';
import { decodeStreamMessage, encodeMsgpack, encodeStreamMessage } from '@pulse/protocol/codec';
import { archivedCopyOf, archivedMessage } from './archive-copy.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const IP = '198.51.100.23';
const head = { site_id: 's_1', received_at: NOW, ip: IP, ua: 'UA', country: 'DE' };
const props = JSON.parse('{"__proto__":"kept","plan":"pro"}');
const events: StreamRecord = { ...head, events: [{ id: 'a', name: 'pageview', ts: NOW, url: 'https://shop.test/', props }] };
const body = encodeMsgpack({ events: [{ name: 'pageview', url: 'https://shop.test/' }] });
const raw: RawStreamRecord = { ...head, body, format: 'msgpack', max_event_age_ms: 86_400_000, id_base: 'i-1', accepted: 1 };
const ids = { '20418': 'c_0123456789abcdef0123456789abcdef' };
const has = (bytes: Uint8Array, s: string) => Buffer.from(bytes).includes(Buffer.from(s));

describe('archivedMessage', () => {
  it('drops every ip, adds the ids, keeps raw bodies byte for byte and everything else as it was', () => {
    const msg: StreamMessageV2 = { v: 2, records: [events, raw] };
    const copy = archivedMessage(encodeStreamMessage(msg), [ids, undefined]);
    expect(has(encodeStreamMessage(msg), IP)).toBe(true);
    expect(has(copy, IP)).toBe(false);
    const back = decodeStreamMessage(copy);
    expect(back.v).toBe(2);
    const { ip: _a, ...eventsCopy } = events;
    expect(back.records[0]).toEqual({ ...eventsCopy, cookieless_ids: ids });
    // The prop named "__proto__" survives the round trip as an own key.
    expect(Object.keys((back.records[0] as StreamRecord).events[0]?.props ?? {})).toEqual(['__proto__', 'plan']);
    const r = back.records[1] as RawStreamRecord;
    expect(Buffer.from(r.body).equals(Buffer.from(body))).toBe(true);
    expect('ip' in r || 'cookieless_ids' in r).toBe(false);
  });

  it('keeps a version 1 message version 1, and ids a record already carried unless given new ones', () => {
    const { ip: _a, ...archived } = events;
    const copy = decodeStreamMessage(archivedMessage(encodeStreamMessage({ v: 1, records: [{ ...archived, cookieless_ids: ids }, events] }), [undefined, {}]));
    expect(copy.v).toBe(1);
    expect(copy.records.map((r) => r.cookieless_ids)).toEqual([ids, undefined]);
  });
});

describe('archivedMessage on the bytes', () => {
  const newer = { '20419': 'c_ffffffffffffffffffffffffffffffff', '20420': 'c_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' };

  it('gives what decoding, dropping ip, setting the ids and encoding again gives', () => {
    const { ip: _a, ...noIp } = events;
    const wide: StreamRecord = { ...head, events: events.events, ...Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`x${i}`, i])) } as StreamRecord;
    const msgs: StreamMessageV2[] = [
      { v: 2, records: [events, raw, noIp as StreamRecord] },
      // A record of 20 entries has a map16 header; without ip and with ids it has one entry fewer and one more.
      { v: 2, records: [wide, { ...raw, cookieless_ids: ids }] },
    ];
    for (const msg of msgs) {
      // Non-ASCII ids (none are made so) take the general encoder.
      for (const given of [[ids, newer, ids], [undefined, newer], [{}, undefined, ids], [{ '20421': 'c_é' }, { '7': 'x'.repeat(300) }]] as const) {
        const expected = msg.records.map((r, i) => {
          const { ip: _ip, ...rest } = r;
          const g = given[i];
          return g !== undefined && Object.keys(g).length > 0 ? { ...rest, cookieless_ids: g } : rest;
        });
        expect(decodeStreamMessage(archivedMessage(encodeStreamMessage(msg), given))).toEqual({ v: 2, records: expected });
      }
    }
  });

  it('returns a message with nothing to change, and bytes that are no message, as they are', () => {
    const { ip: _a, ...noIp } = events;
    const clean = encodeStreamMessage({ v: 1, records: [noIp as StreamRecord] });
    expect(archivedMessage(clean, [])).toBe(clean);
    const whole = encodeStreamMessage({ v: 2, records: [events, raw] });
    for (const bad of [whole.subarray(0, whole.length - 3), Buffer.concat([whole, Uint8Array.of(0x01)]), Uint8Array.of(0x93, 1, 2, 3), Uint8Array.of(0xc1)]) {
      expect(archivedMessage(bad, [ids])).toBe(bad);
    }
  });
});

describe('archivedCopyOf', () => {
  it('strips a message it can decode and returns other bytes as they are', () => {
    const copy = decodeStreamMessage(archivedCopyOf(encodeStreamMessage({ v: 2, records: [events, raw] })));
    expect(copy.records.map((r) => 'ip' in r)).toEqual([false, false]);
    const garbage = new Uint8Array([0xc1, 0x00]);
    expect(archivedCopyOf(garbage)).toBe(garbage);
  });
});
