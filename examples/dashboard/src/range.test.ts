import { describe, expect, it } from 'vitest';
import {
  GRANULARITIES,
  MAX_CHART_BUCKETS,
  PRESETS,
  PRESET_LABELS,
  allowedGranularities,
  bucketStarts,
  customRangeError,
  defaultGranularity,
  describeRange,
  effectiveGranularity,
  floorToBucket,
  isAllTime,
  maxBuckets,
  rangeAsDates,
  resolveRange,
} from './range.js';

const iso = (t: number) => new Date(t).toISOString();
const NOW = Date.parse('2026-11-26T15:20:00Z');

describe('resolveRange', () => {
  it('resolves calendar presets to whole days in the zone', () => {
    const today = resolveRange({ kind: 'preset', preset: 'today' }, NOW, 'Europe/Berlin');
    expect([iso(today.from), iso(today.to)]).toEqual(['2026-11-25T23:00:00.000Z', '2026-11-26T23:00:00.000Z']);
    const d7 = resolveRange({ kind: 'preset', preset: '7d' }, NOW, 'UTC');
    expect([iso(d7.from), iso(d7.to)]).toEqual(['2026-11-20T00:00:00.000Z', '2026-11-27T00:00:00.000Z']);
    const y = resolveRange({ kind: 'preset', preset: 'yesterday' }, NOW, 'America/New_York');
    expect([iso(y.from), iso(y.to)]).toEqual(['2026-11-25T05:00:00.000Z', '2026-11-26T05:00:00.000Z']);
  });

  it('resolves month presets, last 24 hours and custom ranges', () => {
    const lm = resolveRange({ kind: 'preset', preset: 'last_month' }, NOW, 'UTC');
    expect([iso(lm.from), iso(lm.to)]).toEqual(['2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
    const y12 = resolveRange({ kind: 'preset', preset: '12mo' }, NOW, 'UTC');
    expect([iso(y12.from), iso(y12.to)]).toEqual(['2025-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
    const h24 = resolveRange({ kind: 'preset', preset: '24h' }, NOW, 'UTC');
    expect([iso(h24.from), iso(h24.to)]).toEqual(['2026-11-25T16:00:00.000Z', '2026-11-26T16:00:00.000Z']);
    const c = resolveRange({ kind: 'custom', from: '2026-03-28', to: '2026-03-29' }, NOW, 'Europe/Berlin');
    expect([iso(c.from), iso(c.to)]).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(rangeAsDates(c, 'Europe/Berlin')).toEqual({ from: '2026-03-28', to: '2026-03-29' });
  });

  it('rejects unusable custom ranges with a reason', () => {
    expect(customRangeError('2026-11-01', '2026-11-07')).toBeNull();
    expect(customRangeError('2026-11-08', '2026-11-07')).toMatch(/after/);
    expect(customRangeError('2026-13-01', '2026-11-07')).toMatch(/start date/);
    expect(customRangeError('2020-01-01', '2026-11-07')).toMatch(/at most/);
  });
});

describe('All time', () => {
  const ALL = { kind: 'preset', preset: 'all' } as const;

  it('is a preset labelled as Plausible labels it, last in the picker', () => {
    expect(PRESETS.at(-1)).toBe('all');
    expect(PRESET_LABELS.all).toBe('All time');
    expect(describeRange(ALL)).toBe('All time');
    expect(isAllTime(ALL)).toBe(true);
    expect(isAllTime({ kind: 'preset', preset: '12mo' })).toBe(false);
    expect(isAllTime({ kind: 'custom', from: '2026-01-01', to: '2026-01-02' })).toBe(false);
  });

  it('runs from the local midnight of the day the site was created through the end of today', () => {
    // Created at 23:30 UTC on 11 March 2023: already 12 March in Berlin, still 11 March in New York.
    const created = Date.parse('2023-03-11T23:30:00Z');
    const berlin = resolveRange(ALL, NOW, 'Europe/Berlin', created);
    expect([iso(berlin.from), iso(berlin.to)]).toEqual(['2023-03-11T23:00:00.000Z', '2026-11-26T23:00:00.000Z']);
    const ny = resolveRange(ALL, NOW, 'America/New_York', created);
    expect([iso(ny.from), iso(ny.to)]).toEqual(['2023-03-11T05:00:00.000Z', '2026-11-27T05:00:00.000Z']);
    // Years old: longer than the API's 1,098 days of an explicit range, which is why it asks "all".
    expect((berlin.to - berlin.from) / 86_400_000).toBeGreaterThan(3 * 366);
  });

  it('starts at the local midnight of a DST day (23 hours) and ends at the next midnight of a DST zone', () => {
    // 10 March 2024 is New York's spring-forward day: its midnight is still EST (UTC-5).
    const created = Date.parse('2024-03-10T15:00:00Z');
    const ny = resolveRange(ALL, NOW, 'America/New_York', created);
    expect(iso(ny.from)).toBe('2024-03-10T05:00:00.000Z');
    // Berlin's fall-back day, 25 October 2026 (25 hours): from its CEST midnight; now in CET.
    const berlin = resolveRange(ALL, NOW, 'Europe/Berlin', Date.parse('2026-10-25T12:00:00Z'));
    expect([iso(berlin.from), iso(berlin.to)]).toEqual(['2026-10-24T22:00:00.000Z', '2026-11-26T23:00:00.000Z']);
    expect(bucketStarts(berlin, 'day', 'Europe/Berlin')).toHaveLength(33);
    expect(bucketStarts(berlin, 'hour', 'Europe/Berlin')).toHaveLength(33 * 24 + 1);
  });

  it('is today, by the hour, for a site created today (or later, by a clock ahead of the browser\'s)', () => {
    const today = resolveRange({ kind: 'preset', preset: 'today' }, NOW, 'Europe/Berlin');
    const all = resolveRange(ALL, NOW, 'Europe/Berlin', Date.parse('2026-11-26T09:00:00Z'));
    expect(all).toEqual(today);
    expect(defaultGranularity(all)).toBe('hour');
    expect(allowedGranularities(all)).toEqual(['minute', 'hour']);
    expect(resolveRange(ALL, NOW, 'Europe/Berlin', NOW + 86_400_000)).toEqual(today);
    // A site list that did not say when: today too.
    expect(resolveRange(ALL, NOW, 'Europe/Berlin', null)).toEqual(today);
    expect(resolveRange(ALL, NOW, 'Europe/Berlin')).toEqual(today);
  });

  it('charts an old site by the month, and never offers more buckets than a chart or the API takes', () => {
    const years = (n: number) => resolveRange(ALL, NOW, 'UTC', Date.parse(`${2026 - n}-05-17T10:00:00Z`));
    expect(defaultGranularity(years(4))).toBe('month');
    expect(allowedGranularities(years(4))).toEqual(['day', 'week', 'month']);
    expect(bucketStarts(years(4), 'month', 'UTC')).toHaveLength(4 * 12 + 7);
    // 20 years by day is 7,000+ buckets: not offered, and a link's g=day falls back to months.
    expect(allowedGranularities(years(20))).toEqual(['week', 'month']);
    expect(effectiveGranularity('day', years(20))).toBe('month');
    expect(effectiveGranularity('week', years(20))).toBe('week');
    // Whatever the age, what is offered fits, and the count is never underestimated.
    for (const n of [0, 1, 3, 13, 14, 20, 56]) {
      const r = years(n);
      for (const g of GRANULARITIES) {
        const cap = 2 * MAX_CHART_BUCKETS;
        const made = bucketStarts(r, g, 'UTC', cap).length;
        if (made < cap) expect(maxBuckets(r, g), `${n} years by ${g}`).toBeGreaterThanOrEqual(made);
        if (allowedGranularities(r).includes(g)) expect(made, `${n} years by ${g}`).toBeLessThanOrEqual(MAX_CHART_BUCKETS);
      }
      expect(allowedGranularities(r)).toContain(defaultGranularity(r));
    }
    expect(MAX_CHART_BUCKETS).toBeLessThanOrEqual(10_000);
  });
});

describe('granularity and buckets', () => {
  it('offers only granularities that make a readable chart', () => {
    const today = resolveRange({ kind: 'preset', preset: 'today' }, NOW, 'UTC');
    expect(allowedGranularities(today)).toEqual(['minute', 'hour']);
    const m30 = resolveRange({ kind: 'preset', preset: '30d' }, NOW, 'UTC');
    expect(allowedGranularities(m30)).toEqual(['hour', 'day', 'week']);
    expect(effectiveGranularity('minute', m30)).toBe('day');
    expect(effectiveGranularity('week', m30)).toBe('week');
    expect(effectiveGranularity(null, today)).toBe('hour');
  });

  it('builds buckets in the zone, with 23- and 25-hour days across DST', () => {
    const r = resolveRange({ kind: 'custom', from: '2026-03-28', to: '2026-03-30' }, NOW, 'Europe/Berlin');
    const days = bucketStarts(r, 'day', 'Europe/Berlin').map(iso);
    expect(days).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    const hours = bucketStarts(resolveRange({ kind: 'custom', from: '2026-03-29', to: '2026-03-29' }, NOW, 'Europe/Berlin'), 'hour', 'Europe/Berlin');
    expect(hours).toHaveLength(23);
    const fall = bucketStarts(resolveRange({ kind: 'custom', from: '2026-10-25', to: '2026-10-25' }, NOW, 'Europe/Berlin'), 'hour', 'Europe/Berlin');
    expect(fall).toHaveLength(25);
    const weeks = bucketStarts(resolveRange({ kind: 'preset', preset: '30d' }, NOW, 'UTC'), 'week', 'UTC').map(iso);
    expect(weeks[0]).toBe('2026-10-26T00:00:00.000Z'); // the Monday on or before 28 Oct
    expect(weeks.at(-1)).toBe('2026-11-23T00:00:00.000Z');
  });

  it('floors instants to bucket starts, half-hour zones included', () => {
    const t = Date.parse('2026-11-26T15:20:00Z');
    expect(iso(floorToBucket(t, 'hour', 'Asia/Kolkata'))).toBe('2026-11-26T14:30:00.000Z');
    expect(iso(floorToBucket(t, 'month', 'UTC'))).toBe('2026-11-01T00:00:00.000Z');
    expect(iso(floorToBucket(t, 'minute', 'UTC'))).toBe('2026-11-26T15:20:00.000Z');
  });
});
