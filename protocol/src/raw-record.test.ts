import { describe, expect, it } from 'vitest';
import { decodeBody, resolveBodyFormat } from './body.js';
import { encodeMsgpack } from './msgpack.js';
import { StreamMessageError } from './errors.js';
import { DEFAULT_MAX_EVENT_AGE_MS } from './limits.js';
import { eventRecordOf, expandRawRecord, isRawRecord, rawEventId } from './raw-record.js';
import { decodeStreamMessage, encodeStreamMessage } from './stream-message.js';
import type { Batch, RawBodyFormat, RawStreamRecord, StreamRecord } from './types.js';
import { validateBatch } from './validate.js';

const NOW = 1_764_169_200_000;
const DAY = 86_400_000;
const enc = new TextEncoder();

// A client clock 2 h behind: sent_at and ts are both off by that much.
const SKEW = -2 * 3_600_000;
const batch: Batch = {
  sent_at: NOW + SKEW - 150,
  events: [
    { name: 'pageview', url: 'https://a.test/p?utm_source=x', ts: NOW + SKEW - 5_000, visitor_id: 'v1', unknown_field: 'dropped' } as Batch['events'][number],
    { id: 'client-id-1', name: 'signup', ts: NOW + SKEW - 1_000.4, props: { plan: 'pro', seats: 3, trial: true }, revenue: { amount: 9.5, currency: 'EUR' } },
    { name: 'click' },
    { name: 'pageview', url: 'https://a.test/é', screen_width: 1440, lang: 'de-DE', title: 'Ü' },
  ],
};

/** What the collector does for a request: the same ids and validation as the raw path. */
function collect(bytes: Uint8Array, contentType: string, idBase: string, maxEventAgeMs = DEFAULT_MAX_EVENT_AGE_MS): { record: RawStreamRecord; written: StreamRecord } {
  const format = resolveBodyFormat(bytes, contentType);
  const { accepted, rejected } = validateBatch(decodeBody(bytes, contentType), { receivedAt: NOW, maxEventAgeMs, idAt: (i) => rawEventId(idBase, i) });
  expect(rejected).toEqual([]);
  const head = { site_id: 's_1', received_at: NOW, ip: '203.0.113.9', ua: 'UA', country: 'DE' };
  return {
    record: { ...head, body: bytes, format, max_event_age_ms: maxEventAgeMs, id_base: idBase, accepted: accepted.length },
    written: { ...head, events: accepted },
  };
}

describe('expandRawRecord', () => {
  const bodies: Array<[string, Uint8Array, string]> = [
    ['msgpack', encodeMsgpack(batch), 'application/msgpack'],
    ['JSON', enc.encode(JSON.stringify(batch)), 'application/json'],
    ['sniffed text/plain JSON', enc.encode(' ' + JSON.stringify(batch)), 'text/plain;charset=UTF-8'],
    ['sniffed msgpack', encodeMsgpack(batch), ''],
  ];

  it.each(bodies)('gives exactly the events validateBatch gave the collector (%s)', (_n, bytes, ct) => {
    const { record, written } = collect(bytes, ct, 'inst-1z');
    expect(expandRawRecord(record)).toEqual(written);
  });

  it('corrects the clock with sent_at and received_at as validateBatch does', () => {
    const { record } = collect(encodeMsgpack(batch), 'application/msgpack', 'inst-1');
    const events = expandRawRecord(record).events;
    expect(events[0]?.ts).toBe(NOW - 5_000 + 150);
    expect(events[1]?.ts).toBe(Math.round(NOW - 1_000.4 + 150));
    expect(events[2]?.ts).toBe(NOW); // no ts: the receive time
  });

  it('keeps client ids and derives the others from id_base and the event index, the same on every expansion', () => {
    const { record } = collect(encodeMsgpack(batch), 'application/msgpack', 'abc-7');
    const ids = expandRawRecord(record).events.map((e) => e.id);
    expect(ids).toEqual(['abc-7.0', 'client-id-1', 'abc-7.2', 'abc-7.3']);
    // A redelivery, a replay, or the same bytes stored twice: same ids, so the dedup sees them.
    expect(expandRawRecord(decodeRaw(record)).events.map((e) => e.id)).toEqual(ids);
    // Past index 35 the index is base 36.
    expect(rawEventId('abc-7', 36)).toBe('abc-7.10');
  });

  it("applies the collector's age window, not the default one", () => {
    const old = encodeMsgpack({ events: [{ name: 'e', ts: NOW - 20 * DAY }] });
    const { record } = collect(old, 'application/msgpack', 'i-0', 30 * DAY);
    expect(expandRawRecord(record).events).toHaveLength(1);
    // The same body read with the default 7 days would lose the event: poison, not a silent drop.
    expect(() => expandRawRecord({ ...record, max_event_age_ms: DEFAULT_MAX_EVENT_AGE_MS })).toThrow(/event 0 no longer validates: too_old/);
  });

  it('expands a body kept before the pageview url rule, whose pageview url the rule now refuses', () => {
    // An older collector accepted these whole; refusing them now would make the message poison.
    const kept = encodeMsgpack({ events: [{ name: 'pageview', url: 'not a url' }, { name: 'pageview', url: '/rel' }] });
    const record: RawStreamRecord = { site_id: 's_1', received_at: NOW, ip: '', ua: '', country: '', body: kept, format: 'msgpack', max_event_age_ms: DAY, id_base: 'old-1', accepted: 2 };
    expect(expandRawRecord(record).events.map((e) => e.url)).toEqual(['not a url', '/rel']);
  });

  it.each<[string, Uint8Array, string]>([
    ['JSON', enc.encode('{"sent_at":null,"events":[{"name":"pageview","url":"https://x.test/n","referrer":null,"props":{"a":null,"b":1}}]}'), 'application/json'],
    ['msgpack', encodeMsgpack({ sent_at: null, events: [{ name: 'pageview', url: 'https://x.test/n', referrer: null, props: { a: null, b: 1 } }] }), 'application/msgpack'],
  ])('expands a body with nulls as the collector read it (%s)', (_n, bytes, ct) => {
    const { record, written } = collect(bytes, ct, 'nul-1');
    expect(expandRawRecord(record)).toEqual(written);
    expect(written.events[0]).toEqual({ id: 'nul-1.0', name: 'pageview', ts: NOW, url: 'https://x.test/n', props: { b: 1 } });
  });

  describe('a body that no longer validates identically is poison (StreamMessageError)', () => {
    const { record } = collect(encodeMsgpack(batch), 'application/msgpack', 'i-1');
    it.each<[string, Partial<RawStreamRecord>]>([
      ['truncated', { body: record.body.subarray(0, record.body.length - 3) }],
      ['garbage', { body: new Uint8Array([0xc1, 0xc1]) }],
      ['empty', { body: new Uint8Array() }],
      ['read in the wrong format', { format: 'json' as RawBodyFormat }],
      ['not a batch', { body: encodeMsgpack([1, 2, 3]) }],
      ['with a bad sent_at', { body: encodeMsgpack({ sent_at: -1, events: [] }), accepted: 0 }],
      ['holding an event the rules refuse', { body: encodeMsgpack({ events: [{ name: 'pageview' }] }), accepted: 1 }],
      ['holding more events than were accepted', { accepted: 3 }],
      ['holding fewer events than were accepted', { accepted: 5 }],
      ['over the body limit', { body: new Uint8Array(512 * 1024 + 1) }],
      ['of absurd nesting', { body: new Uint8Array(200_000).fill(0x91) }],
    ])('%s', (_n, change) => {
      expect(() => expandRawRecord({ ...record, ...change })).toThrow(StreamMessageError);
    });

    it('a byte flipped anywhere gives the same events or poison, never another error', () => {
      let same = 0;
      for (let i = 0; i < record.body.length; i++) {
        for (const b of [0x00, 0xff, 0xc0, 0xd9, 0x7f]) {
          const body = new Uint8Array(record.body); // a copy: Buffer#slice is a view
          body[i] = b;
          try {
            const r = expandRawRecord({ ...record, body });
            expect(r.events).toHaveLength(record.accepted);
            same++;
          } catch (e) {
            expect(e).toBeInstanceOf(StreamMessageError);
          }
        }
      }
      // Most flips land in strings and numbers and still validate: the test saw both outcomes.
      expect(same).toBeGreaterThan(0);
    });
  });
});

describe('eventRecordOf', () => {
  it('passes records with events through and expands raw ones, in a mixed version 2 message', () => {
    const v1: StreamRecord = { site_id: 's_2', received_at: NOW, ip: '', ua: '', country: '', events: [{ id: 'x', name: 'e', ts: NOW }] };
    const { record, written } = collect(enc.encode(JSON.stringify(batch)), 'application/json', 'i-9');
    const msg = decodeStreamMessage(encodeStreamMessage({ v: 2, records: [v1, record, v1] }));
    expect(msg.records.map(isRawRecord)).toEqual([false, true, false]);
    expect(msg.records.map(eventRecordOf)).toEqual([v1, written, v1]);
    expect(eventRecordOf(v1)).toBe(v1);
  });
});

/** The record as a reader gets it back from the stream. */
function decodeRaw(record: RawStreamRecord): RawStreamRecord {
  return decodeStreamMessage(encodeStreamMessage({ v: 2, records: [record] })).records[0] as RawStreamRecord;
}
