import { describe, expect, it } from 'vitest';
import { validateBatch, type AnyStreamRecord, type RawStreamRecord, type StreamRecord } from '@pulse/protocol';
import { decodeStreamMessage, encodeMsgpack, encodeStreamMessage, rawEventId } from '@pulse/protocol/codec';
import { preparePipeline, type SourceMessage } from './pipeline.js';
import { cookielessIdsOf, recordToRows } from './rows.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const DAY = 86_400_000;
const ctx = { seq: 7, saltFor: async () => 'salt' };
const enc = new TextEncoder();

const body = {
  sent_at: NOW - 3_600_000, // an hour of client skew
  events: [
    { name: 'pageview', url: 'https://shop.test/p?utm_source=news', ts: NOW - 3_605_000, referrer: 'https://www.google.com/' },
    { id: 'client-1', name: 'buy', revenue: { amount: 12.5, currency: 'EUR' }, props: { sku: 'A1', qty: 2 }, visitor_id: 'v1' },
  ],
};

/** What the collector makes of one request: the raw record, and the record it would re-encode. */
function collected(bytes: Uint8Array, format: 'msgpack' | 'json', parsed: unknown, idBase = 'inst-1'): { raw: RawStreamRecord; events: StreamRecord } {
  const { accepted } = validateBatch(parsed, { receivedAt: NOW, maxEventAgeMs: 7 * DAY, idAt: (i) => rawEventId(idBase, i) });
  const head = { site_id: 's_1', received_at: NOW, ip: '203.0.113.9', ua: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', country: 'DE' };
  return {
    raw: { ...head, body: bytes, format, max_event_age_ms: 7 * DAY, id_base: idBase, accepted: accepted.length },
    events: { ...head, events: accepted },
  };
}

const fromMsgpack = (idBase?: string) => collected(encodeMsgpack(body), 'msgpack', body, idBase);

const deps = {
  salts: { saltFor: async () => 'salt' },
  rules: { excluded: () => undefined, stop: async () => undefined },
  sessions: { assign: async (_s: string, _v: string, times: readonly number[]) => times.map(() => 'ss_test') },
  step: <T>(_name: string, fn: () => Promise<T>) => fn(),
};
let seq = 0;
const message = (v: 1 | 2, records: AnyStreamRecord[]): SourceMessage => ({ seq: ++seq, data: encodeStreamMessage(v === 1 ? { v, records: records as StreamRecord[] } : { v, records }) });

describe('recordToRows with raw records', () => {
  it.each([
    ['msgpack', fromMsgpack()],
    ['JSON', collected(enc.encode(JSON.stringify(body)), 'json', body)],
  ])('gives the rows the re-encoded events give (%s body)', async (_n, { raw, events }) => {
    const rows = await recordToRows(raw, ctx);
    expect(rows).toEqual(await recordToRows(events, ctx));
    expect(rows.map((r) => [r.event_id, r.ts])).toEqual([
      ['inst-1.0', NOW - 5_000], // skew-corrected like validateBatch does
      ['client-1', NOW],
    ]);
  });
});

describe('recordToRows props and pages', () => {
  const awkward = '{"__proto__":"lost","plan":"kept","constructor":"c","toString":"t","hasOwnProperty":"h","n":2,"ok":true}';
  const stored = [['__proto__', 'lost'], ['plan', 'kept'], ['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h'], ['n', '2'], ['ok', 'true']];
  const json = `{"events":[{"name":"proto2","props":${awkward}}]}`;
  const viaStream = (r: StreamRecord) => decodeStreamMessage(encodeStreamMessage({ v: 1, records: [r] })).records[0] as StreamRecord;

  it.each([
    ['a raw JSON body', () => collected(enc.encode(json), 'json', JSON.parse(json)).raw],
    ['a raw msgpack body', () => collected(encodeMsgpack(JSON.parse(json)), 'msgpack', JSON.parse(json)).raw],
    ['re-encoded events read back from a stream message', () => viaStream(collected(enc.encode(json), 'json', JSON.parse(json)).events)],
  ])('stores a prop named __proto__ (and constructor, toString …) like any other key, from %s', async (_n, rec) => {
    const [row] = await recordToRows(rec(), ctx);
    expect(Object.entries(row?.props ?? {})).toEqual(stored);
    expect(Object.getPrototypeOf(row?.props)).toBe(Object.prototype);
    // What the JSON insert body and the Native encoder (own enumerable keys) see.
    expect(JSON.parse(JSON.stringify(row?.props))).toEqual(JSON.parse(JSON.stringify(Object.fromEntries(stored))));
    expect(Object.keys(JSON.parse(JSON.stringify(row?.props)))).toEqual(stored.map(([k]) => k));
  });

  it('takes a path url as the page without a host, and ?ref= as the source', async () => {
    const events = [
      { id: 'a', name: 'pageview', ts: NOW, url: '/docs/index.html?ref=producthunt' },
      { id: 'b', name: 'pageview', ts: NOW, url: 'https://shop.test/?source=Newsletter', referrer: 'https://www.google.com/' },
      { id: 'c', name: 'buy', ts: NOW, url: 'not a url' },
    ];
    const rows = await recordToRows({ site_id: 's_1', received_at: NOW, ip: '', ua: '', country: '', events }, ctx);
    expect(rows.map((r) => [r.hostname, r.path, r.utm_source, r.source, r.medium])).toEqual([
      ['', '/docs', 'producthunt', 'producthunt', 'other'],
      ['shop.test', '/', 'Newsletter', 'Newsletter', 'search'],
      ['', '', '', '', 'direct'],
    ]);
  });
});

describe('recordToRows times', () => {
  const head = { site_id: 's_1', ip: '203.0.113.9', ua: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', country: 'DE' };
  const event = { id: 'e-1', name: 'pageview', url: 'https://shop.test/' };

  it('keeps times as whole epoch milliseconds, as a Date would', async () => {
    const [row] = await recordToRows({ ...head, received_at: NOW + 0.9, events: [{ ...event, ts: NOW - 0.5 }] }, ctx);
    expect([row?.ts, row?.received_at]).toEqual([NOW - 1, NOW]);
    expect(new Date(row?.ts ?? 0).toISOString()).toBe(new Date(NOW - 0.5).toISOString());
  });

  it.each([
    ['an event time beyond Date', { received_at: NOW, events: [{ ...event, ts: 9e15 }] }, 'event 0 has no numeric ts'],
    ['an infinite event time', { received_at: NOW, events: [{ ...event, ts: Number.POSITIVE_INFINITY }] }, 'event 0 has no numeric ts'],
    ['a NaN receive time', { received_at: Number.NaN, events: [{ ...event, ts: NOW }] }, 'record has no numeric received_at'],
  ])('makes %s poison', async (_what, rec, reason) => {
    await expect(recordToRows({ ...head, ...rec } as StreamRecord, ctx)).rejects.toThrow(reason);
  });
});

describe('preparePipeline (the decode step) with version 2 messages', () => {
  it('reads version 1 and mixed version 2 messages, with the same ids on a redelivery', async () => {
    const a = fromMsgpack('inst-a');
    const b = fromMsgpack('inst-b');
    const msgs = [message(1, [a.events]), message(2, [b.events, a.raw, b.raw])];
    const first = await preparePipeline(msgs, deps);
    expect(first.poison).toEqual([]);
    expect(first.good.map((g) => g.rows.map((r) => r.event_id))).toEqual([
      ['inst-a.0', 'client-1'],
      ['inst-b.0', 'client-1', 'inst-a.0', 'client-1', 'inst-b.0', 'client-1'],
    ]);
    // A redelivery (or a replay) of the same messages: the very same rows.
    const again = await preparePipeline(msgs, deps);
    expect(again.good.map((g) => g.rows)).toEqual(first.good.map((g) => g.rows));
  });

  it('sets a message aside as poison when a raw body no longer validates identically, and keeps the others', async () => {
    const { raw, events } = fromMsgpack();
    const corrupt = new Uint8Array(raw.body);
    corrupt[0] = 0xc1; // "never used" in msgpack, where the body's map header was
    const bad = [
      message(2, [events, { ...raw, body: corrupt }]),
      message(2, [{ ...raw, accepted: 3 }]),
      message(2, [{ ...raw, max_event_age_ms: 1_000 }]), // the first event is now too old
      message(2, [{ ...raw, format: 'json' }]),
    ];
    const good = message(2, [raw]);
    const r = await preparePipeline([...bad, good], deps);
    expect(r.poison.map((p) => p.msg)).toEqual(bad);
    expect(r.poison.map((p) => p.reason)).toEqual([
      expect.stringContaining('no longer reads as a batch'),
      expect.stringContaining('the collector accepted 3'),
      expect.stringContaining('event 0 no longer validates: too_old'),
      expect.stringContaining('no longer reads as a batch'),
    ]);
    expect(r.good.map((g) => g.msg)).toEqual([good]);
  });
});

describe('recordToRows with archived cookieless ids', () => {
  const salted = (salt: string) => ({ seq: 7, saltFor: async () => salt });
  const cookieless = (ts: number, id: string) => ({ id, name: 'pageview', ts, url: 'https://shop.test/' });
  const live: StreamRecord = {
    site_id: 's_1',
    received_at: NOW,
    ip: '203.0.113.9',
    ua: 'UA',
    country: 'DE',
    events: [cookieless(NOW - DAY, 'y'), cookieless(NOW, 'a'), { ...cookieless(NOW, 'sdk'), visitor_id: 'v1' }, cookieless(NOW + 1, 'b')],
  };

  it('hands over the id of each day it computed, and uses them instead of the salt and the ip', async () => {
    const keep = {};
    const rows = await recordToRows(live, { ...salted('live salt'), keep });
    const today = String(Math.floor(NOW / DAY));
    const yesterday = String(Math.floor(NOW / DAY) - 1);
    expect(keep).toEqual({ [yesterday]: rows[0]?.visitor_id, [today]: rows[1]?.visitor_id });
    expect(rows.map((r) => r.visitor_id)).toEqual([keep[yesterday as keyof typeof keep], keep[today as keyof typeof keep], 'v1', keep[today as keyof typeof keep]]);

    // The archived copy: no ip, the ids kept. The salt is gone (another one now) and changes nothing.
    const { ip: _ip, ...archived } = live;
    let asked = 0;
    const again = await recordToRows({ ...archived, cookieless_ids: keep }, { seq: 7, saltFor: async () => (asked++, 'new salt') });
    expect(again).toEqual(rows);
    expect(asked).toBe(0);
  });

  it('computes the days it has no id for as before: with the salt, and an empty ip when there is none', async () => {
    const { ip: _ip, ...archived } = live;
    const today = String(Math.floor(NOW / DAY));
    const rows = await recordToRows({ ...archived, cookieless_ids: { [today]: 'c_kept' } }, salted('s'));
    const withoutIp = await recordToRows({ ...live, ip: '' }, salted('s'));
    expect(rows.map((r) => r.visitor_id)).toEqual([withoutIp[0]?.visitor_id, 'c_kept', 'v1', 'c_kept']);
  });

  it('cookielessIdsOf gives the ids recordToRows gives, raw records included', async () => {
    const { raw, events } = fromMsgpack();
    for (const r of [live, raw, events]) {
      const keep = {};
      await recordToRows(r, { ...salted('s'), keep });
      expect(await cookielessIdsOf(r, async () => 's')).toEqual(keep);
    }
  });
});

describe('preparePipeline archived copies', () => {
  it('makes one per message, without ips, with the ids of events later excluded too; replays make none', async () => {
    const { raw, events } = fromMsgpack();
    const msg = message(2, [events, raw]);
    const excludeAll = { ...deps, rules: { excluded: () => 'excluded_paths' as const, stop: async () => undefined } };
    const out = await preparePipeline([msg], { ...excludeAll, archiveCopies: true });
    expect(out.excluded).toBe(4);
    expect(out.excludedBy).toEqual({ allowed_hostnames: 0, excluded_countries: 0, excluded_paths: 4 });
    const copy = decodeStreamMessage(out.good[0]?.archived as Uint8Array);
    expect(copy.records.map((r) => 'ip' in r)).toEqual([false, false]);
    const ids = copy.records.map((r) => r.cookieless_ids);
    expect(ids[0]).toEqual({ [String(Math.floor((NOW - 5_000) / DAY))]: expect.stringMatching(/^c_[0-9a-f]{32}$/) });
    expect(ids[1]).toEqual(ids[0]);
    // The copy maps to the rows the original gives.
    const fromCopy = await preparePipeline([{ seq: msg.seq, data: out.good[0]?.archived as Uint8Array }], { ...deps, salts: { saltFor: async () => 'gone' } });
    expect(fromCopy.good[0]?.rows).toEqual((await preparePipeline([msg], deps)).good[0]?.rows);
    expect((await preparePipeline([msg], deps)).good[0]?.archived).toBeUndefined();
  });

  it('strips poison messages too, and keeps bytes that never decoded as they came', async () => {
    const { raw, events } = fromMsgpack();
    const broken = message(2, [events, { ...raw, accepted: 3 }]);
    const garbage: SourceMessage = { seq: ++seq, data: new Uint8Array([0xc1, 1, 2]) };
    const out = await preparePipeline([broken, garbage], { ...deps, archiveCopies: true });
    expect(out.poison.map((p) => p.msg)).toEqual([broken, garbage]);
    const copy = decodeStreamMessage(out.poison[0]?.archived as Uint8Array);
    expect(copy.records.map((r) => 'ip' in r)).toEqual([false, false]);
    expect(copy.records[0]?.cookieless_ids).toBeDefined();
    expect(out.poison[1]?.archived).toBe(garbage.data);
  });
});
