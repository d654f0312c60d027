import { describe, expect, it } from 'vitest';
import { decodeStreamMessage, encodeStreamMessage, eventRecordOf } from '@pulse/protocol/codec';
import { baselineRows } from './baseline-rows.js';
import { DEFAULT_SHAPE, generateMessages, generateRecords } from './stream-data.js';

const gen = (events: number) => generateRecords({ events, startMs: 1_700_000_000_000, spacingMs: 2, seed: 1, shape: DEFAULT_SHAPE, idPrefix: 'e-' });

describe('generateRecords', () => {
  it('yields exactly the asked number of events, each with a unique id and increasing time', () => {
    const events = [...gen(5_000)].flatMap((g) => g.record.events);
    expect(events).toHaveLength(5_000);
    expect(new Set(events.map((e) => e.id)).size).toBe(5_000);
    for (let i = 1; i < events.length; i++) expect((events[i]?.ts ?? 0) > (events[i - 1]?.ts ?? 0)).toBe(true);
  });

  it('is the same run after run (seeded)', () => {
    expect([...gen(300)]).toEqual([...gen(300)]);
  });

  it('mixes beacons and SDK batches, cookieless and identified visitors, bots and browsers', () => {
    const recs = [...gen(20_000)];
    const sizes = recs.map((g) => g.record.events.length);
    expect(sizes.filter((s) => s === 1).length / sizes.length).toBeGreaterThan(0.6);
    expect(Math.max(...sizes)).toBeGreaterThan(5);
    const events = recs.flatMap((g) => g.record.events);
    const cookieless = events.filter((e) => e.visitor_id === undefined).length / events.length;
    expect(cookieless).toBeGreaterThan(0.4);
    expect(cookieless).toBeLessThan(0.95);
    expect(recs.some((g) => g.agent.bot === 1)).toBe(true);
    expect(new Set(recs.map((g) => g.record.ua)).size).toBeGreaterThan(10);
    expect(events.some((e) => e.url?.includes('utm_source='))).toBe(true);
    expect(new Set(recs.map((g) => g.record.site_id)).size).toBeGreaterThan(10);
  });
});

describe('generateMessages', () => {
  it('groups records into stream messages that survive the codec', () => {
    const msgs = [...generateMessages(gen(3_000), 50)];
    expect(msgs.reduce((s, m) => s + m.events, 0)).toBe(3_000);
    expect(msgs.slice(0, -1).every((m) => m.message.records.length === 50)).toBe(true);
    const first = msgs[0];
    expect(decodeStreamMessage(encodeStreamMessage(first!.message))).toEqual(first!.message);
  });

  it('holds raw records, as collectors publish them, that expand to exactly the generated events', () => {
    const [first] = [...generateMessages(gen(500), 50)];
    const decoded = decodeStreamMessage(encodeStreamMessage(first!.message));
    expect(decoded.v).toBe(2);
    decoded.records.forEach((r, i) => {
      expect(r).toHaveProperty('body');
      expect(eventRecordOf(r)).toEqual(first!.generated[i]?.record);
    });
  });
});

describe('baselineRows', () => {
  it('has one row per event with the enrichment the fixtures know', () => {
    const recs = [...gen(1_000)];
    const rows = baselineRows(recs, 7);
    expect(rows).toHaveLength(1_000);
    const bot = recs.find((g) => g.agent.bot === 1);
    const row = rows.find((r) => r['event_id'] === bot?.record.events[0]?.id);
    expect(row).toMatchObject({ is_bot: 1, device: bot?.agent.device, stream_seq: 7, site_id: bot?.record.site_id });
    expect(rows.every((r) => typeof r['visitor_id'] === 'string' && r['visitor_id'] !== '')).toBe(true);
  });
});
