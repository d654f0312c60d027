import { describe, expect, it } from 'vitest';
import type { QueryRow } from './api.js';
import { chartCompareRangeFor, customCompareRange } from './compare-mode.js';
import { alignBuckets, alignValues, comparePlan, comparedRows } from './compare-series.js';
import { bucketStarts, resolveRange, type Granularity, type RangeSpec, type ResolvedRange } from './range.js';
import { chartSeries } from './series.js';

const BERLIN = 'Europe/Berlin';
const days = (from: string, to: string, tz = BERLIN): ResolvedRange => customCompareRange({ from, to }, tz)!;
const buckets = (r: ResolvedRange, g: Granularity, tz = BERLIN) => bucketStarts(r, g, tz);
/** "HH:MM" on the wall clock in the zone. */
const clock = (t: number, tz = BERLIN) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);
/** The calendar date in the zone, "YYYY-MM-DD". */
const date = (t: number, tz = BERLIN) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, dateStyle: 'short' }).format(t);
const iso = (r: ResolvedRange | null) => r && [new Date(r.from).toISOString(), new Date(r.to).toISOString()];

describe('alignBuckets: bucket i against bucket i, gaps where the compared period has none', () => {
  it('puts a 31-day month against a 30-day one day by day, the 31st a gap', () => {
    const march = buckets(days('2026-03-01', '2026-03-31'), 'day');
    const april = buckets(days('2026-04-01', '2026-04-30'), 'day');
    expect(march).toHaveLength(31);
    expect(april).toHaveLength(30);
    const a = alignBuckets(march, april, 'day', BERLIN);
    expect(a.slice(0, 30)).toEqual([...Array(30).keys()]);
    expect(a[30]).toBeNull();
    // The other way round, April's 30 days take March's first 30; its 31st is not drawn.
    expect(alignBuckets(april, march, 'day', BERLIN)).toEqual([...Array(30).keys()]);
  });

  it('leaves 29 February a gap against a February of 28 days, and draws 28 of 29 the other way', () => {
    const feb2028 = buckets(days('2028-02-01', '2028-02-29'), 'day');
    const feb2027 = buckets(days('2027-02-01', '2027-02-28'), 'day');
    expect(alignBuckets(feb2028, feb2027, 'day', BERLIN)).toEqual([...[...Array(28).keys()], null]);
    expect(alignBuckets(feb2027, feb2028, 'day', BERLIN)).toEqual([...Array(28).keys()]);
  });

  it('lines months and weeks up by count', () => {
    const year = buckets(days('2026-01-01', '2026-12-31'), 'month');
    const before = buckets(days('2025-01-01', '2025-12-31'), 'month');
    expect(alignBuckets(year, before, 'month', BERLIN)).toEqual([...Array(12).keys()]);
    const weeks = buckets(days('2026-03-02', '2026-03-29'), 'week');
    expect(alignBuckets(weeks, buckets(days('2026-02-02', '2026-02-22'), 'week'), 'week', BERLIN)).toEqual([0, 1, 2, null]);
  });

  it('draws 03:00 against 03:00 on the 23-hour day clocks go forward, not against 02:00', () => {
    // 29 March 2026, Berlin: 02:00 does not happen (23 hours), against the 24 hours of 28 March.
    const short = buckets(days('2026-03-29', '2026-03-29'), 'hour');
    const before = buckets(days('2026-03-28', '2026-03-28'), 'hour');
    expect(short).toHaveLength(23);
    expect(before).toHaveLength(24);
    const a = alignBuckets(short, before, 'hour', BERLIN);
    // Every hour of the short day has its counterpart, the same wall-clock hour.
    short.forEach((t, i) => expect(clock(before[a[i]!]!)).toBe(clock(t)));
    expect(a.slice(0, 3)).toEqual([0, 1, 3]);
    // Its 23:00 is the compared day's 24th hour, past the chart's 23: the API's comparison (one a
    // row of the chart) cannot hold it.
    expect(a.at(-1)).toBe(23);
    // Counting instead would put 03:00 against 02:00 and every later hour one off.
    expect(a).not.toEqual([...Array(23).keys()]);
  });

  it('leaves the repeated hour of a 25-hour day a gap against a day that has it once', () => {
    // 25 October 2026, Berlin: 02:00–03:00 twice (25 hours), against the 24 hours of 24 October.
    const long = buckets(days('2026-10-25', '2026-10-25'), 'hour');
    const before = buckets(days('2026-10-24', '2026-10-24'), 'hour');
    expect(long).toHaveLength(25);
    const a = alignBuckets(long, before, 'hour', BERLIN);
    expect(clock(long[2]!)).toBe('02:00');
    expect(clock(long[3]!)).toBe('02:00');
    expect(a.slice(0, 5)).toEqual([0, 1, 2, null, 3]);
    expect(a.at(-1)).toBe(23);
    expect(a.filter((j) => j === null)).toHaveLength(1);
    // The other way round: a normal day against the long one takes its first 02:00, and 03:00
    // against 03:00, which is the long day's 5th hour.
    const b = alignBuckets(before, long, 'hour', BERLIN);
    expect(b.slice(0, 4)).toEqual([0, 1, 2, 4]);
    expect(b.at(-1)).toBe(24);
  });

  it('keeps every day of a multi-day hourly range on its own day across a DST change', () => {
    // 7 days by hour with the change inside the compared week: 23 March–29 March against 16–22
    // March has none; 30 March–5 April against 23–29 March has it in the compared week.
    const week = buckets(days('2026-03-30', '2026-04-05'), 'hour');
    const before = buckets(days('2026-03-23', '2026-03-29'), 'hour');
    expect(week).toHaveLength(168);
    expect(before).toHaveLength(167);
    const a = alignBuckets(week, before, 'hour', BERLIN);
    // Day of the range (0–6) and wall-clock hour, on both sides.
    const place = (t: number, first: number) => `${Math.round((Date.parse(date(t)) - Date.parse(date(first))) / 86_400_000)} ${clock(t)}`;
    week.forEach((t, i) => {
      const j = a[i];
      if (j !== null && j !== undefined) expect(place(before[j]!, before[0]!)).toBe(place(t, week[0]!));
    });
    // The one hour without a counterpart is 02:00 on the last day (29 March had none).
    expect(a.filter((j) => j === null)).toHaveLength(1);
    expect(clock(week[a.indexOf(null)]!)).toBe('02:00');
  });

  it('lines minutes up by the wall clock too', () => {
    const short = buckets(days('2026-03-29', '2026-03-29'), 'minute');
    const before = buckets(days('2026-03-28', '2026-03-28'), 'minute');
    expect(short).toHaveLength(23 * 60);
    const a = alignBuckets(short, before, 'minute', BERLIN);
    const at = short.findIndex((t) => clock(t) === '03:05');
    expect(clock(before[a[at]!]!)).toBe('03:05');
    expect(a.filter((j) => j === null)).toHaveLength(0);
  });

  it('lines "Last 24 hours" up by elapsed time, as it is 24 hours before', () => {
    // Ends 10:00 on 29 March 2026, across the change: 24 hourly buckets each, 24 hours apart.
    const now = Date.parse('2026-03-29T07:30:00Z');
    const r = resolveRange({ kind: 'preset', preset: '24h' }, now, BERLIN);
    const before = chartCompareRangeFor('previous_period', r, now, BERLIN)!;
    const current = buckets(r, 'hour');
    const compared = buckets(before, 'hour');
    const a = alignBuckets(current, compared, 'hour', BERLIN);
    expect(a).toEqual([...Array(24).keys()]);
    current.forEach((t, i) => expect(t - compared[a[i]!]!).toBe(24 * 3_600_000));
  });

  it('lines hours up by the wall clock in a zone far from UTC, and in UTC', () => {
    for (const tz of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
      // 8 March 2026: New York springs forward.
      const day = buckets(days('2026-03-08', '2026-03-08', tz), 'hour', tz);
      const before = buckets(days('2026-03-07', '2026-03-07', tz), 'hour', tz);
      const a = alignBuckets(day, before, 'hour', tz);
      day.forEach((t, i) => expect(clock(before[a[i]!]!, tz), tz).toBe(clock(t, tz)));
    }
  });
});

describe('chartCompareRangeFor: the compared days the chart draws', () => {
  const at = (spec: RangeSpec, now: string, mode: Parameters<typeof chartCompareRangeFor>[0], tz = BERLIN) => {
    const t = Date.parse(now);
    return iso(chartCompareRangeFor(mode, resolveRange(spec, t, tz), t, tz));
  };

  it('draws all of yesterday against today, though the cards compare until now', () => {
    expect(at({ kind: 'preset', preset: 'today' }, '2026-11-26T08:20:40Z', 'previous_period')).toEqual(['2026-11-24T23:00:00.000Z', '2026-11-25T23:00:00.000Z']);
    expect(at({ kind: 'preset', preset: 'today' }, '2026-11-26T08:20:40Z', 'year_over_year')).toEqual(['2025-11-25T23:00:00.000Z', '2025-11-26T23:00:00.000Z']);
    expect(at({ kind: 'preset', preset: 'today' }, '2026-11-26T08:20:40Z', 'year_over_year_weekday')).toEqual(['2025-11-26T23:00:00.000Z', '2025-11-27T23:00:00.000Z']);
    expect(at({ kind: 'preset', preset: 'today' }, '2026-11-26T08:20:40Z', 'off')).toBeNull();
  });

  it('starts where the cards\' span starts: a month to date against the same number of whole days before', () => {
    // 7 March 2026 at 09:00: the cards compare with 22–28 February until 09:00, the chart draws 22–28 February.
    expect(at({ kind: 'preset', preset: 'month' }, '2026-03-07T08:00:00Z', 'previous_period')).toEqual(['2026-02-21T23:00:00.000Z', '2026-02-28T23:00:00.000Z']);
    // 29 February 2028, year over year: 28 February 2027, all of it.
    expect(at({ kind: 'preset', preset: 'today' }, '2028-02-29T08:30:00Z', 'year_over_year')).toEqual(['2027-02-27T23:00:00.000Z', '2027-02-28T23:00:00.000Z']);
    // A complete period is what the cards compare with.
    expect(at({ kind: 'preset', preset: 'last_month' }, '2029-03-10T11:00:00Z', 'year_over_year')).toEqual(['2028-01-31T23:00:00.000Z', '2028-02-29T23:00:00.000Z']);
  });

  it('draws "Last 24 hours" against the whole 24 hours before, and a custom period as chosen', () => {
    expect(at({ kind: 'preset', preset: '24h' }, '2026-11-26T08:20:40Z', 'previous_period')).toEqual(['2026-11-24T09:00:00.000Z', '2026-11-25T09:00:00.000Z']);
    const t = Date.parse('2026-11-26T08:20:40Z');
    const today = resolveRange({ kind: 'preset', preset: 'today' }, t, BERLIN);
    expect(iso(chartCompareRangeFor('custom', today, t, BERLIN, { from: '2026-10-01', to: '2026-10-31' }))).toEqual([
      '2026-09-30T22:00:00.000Z',
      '2026-10-31T23:00:00.000Z',
    ]);
    expect(chartCompareRangeFor('custom', today, t, BERLIN, null)).toBeNull();
  });
});

describe('comparePlan', () => {
  it('uses the API\'s per-bucket comparison when it holds every compared bucket drawn', () => {
    const today = buckets(days('2026-11-26', '2026-11-26'), 'hour');
    const plan = comparePlan(today, days('2026-11-25', '2026-11-25'), 'hour', BERLIN)!;
    expect(plan.viaCompare).toBe(true);
    expect(plan.alignment).toEqual([...Array(24).keys()]);
    expect(iso(plan.range)).toEqual(['2026-11-24T23:00:00.000Z', '2026-11-25T23:00:00.000Z']);
  });

  it('asks the compared span on its own when the wall clock needs a bucket past the chart\'s last', () => {
    const short = buckets(days('2026-03-29', '2026-03-29'), 'hour');
    const plan = comparePlan(short, days('2026-03-28', '2026-03-28'), 'hour', BERLIN)!;
    expect(plan.viaCompare).toBe(false);
    expect(plan.buckets).toHaveLength(24);
    // A 25-hour day against a normal one needs nothing past its own 25 buckets.
    const long = buckets(days('2026-10-25', '2026-10-25'), 'hour');
    expect(comparePlan(long, days('2026-10-24', '2026-10-24'), 'hour', BERLIN)!.viaCompare).toBe(true);
  });

  it('asks only for the compared buckets the chart draws', () => {
    // "Today" by hour against a custom period of two years: one day of it (the API would refuse
    // 17,000 hourly buckets).
    const today = buckets(days('2026-11-26', '2026-11-26'), 'hour');
    const plan = comparePlan(today, days('2024-01-01', '2025-12-31'), 'hour', BERLIN)!;
    expect(iso(plan.range)).toEqual(['2023-12-31T23:00:00.000Z', '2024-01-01T23:00:00.000Z']);
    expect(plan.buckets).toHaveLength(24);
    // 31 days against 30: the 30 there are, whole.
    const march = buckets(days('2026-03-01', '2026-03-31'), 'day');
    const april = comparePlan(march, days('2026-04-01', '2026-04-30'), 'day', BERLIN)!;
    expect(iso(april.range)).toEqual(['2026-03-31T22:00:00.000Z', '2026-04-30T22:00:00.000Z']);
    expect(april.viaCompare).toBe(true);
    expect(comparePlan(march, null, 'day', BERLIN)).toBeNull();
  });
});

describe('the compared line\'s values', () => {
  const row = (t: string, metrics: number[], cmp?: { t: string; metrics: number[] }): QueryRow => ({
    dimensions: [t],
    metrics,
    comparison: cmp ? cmp.metrics : null,
    ...(cmp ? { comparisonDimensions: [cmp.t] } : {}),
  });

  it('come from the API\'s comparisons under the buckets it names, gaps where there is no counterpart', () => {
    // 3 days against 2: the API answers the third day without a comparison.
    const current = buckets(days('2026-11-24', '2026-11-26'), 'day');
    const plan = comparePlan(current, days('2026-11-20', '2026-11-21'), 'day', BERLIN)!;
    const rows = [
      row('2026-11-24T00:00:00+01:00', [5, 5], { t: '2026-11-20T00:00:00+01:00', metrics: [7, 7] }),
      row('2026-11-25T00:00:00+01:00', [6, 6], { t: '2026-11-21T00:00:00+01:00', metrics: [0, 0] }),
      row('2026-11-26T00:00:00+01:00', [1, 1]),
    ];
    const theirs = chartSeries(comparedRows(rows), 'visitors', plan.buckets, 'day', BERLIN, Date.parse('2027-01-01T00:00:00Z'));
    expect(alignValues(theirs.values, plan.alignment)).toEqual([7, 0, null]);
    expect(alignValues(plan.buckets, plan.alignment)).toEqual([Date.parse('2026-11-19T23:00:00Z'), Date.parse('2026-11-20T23:00:00Z'), null]);
    // A rate is a gap where the compared day had no visit, as on the period's line.
    expect(alignValues(chartSeries(comparedRows(rows), 'bounce_rate', plan.buckets, 'day', BERLIN, Date.parse('2027-01-01T00:00:00Z')).values, plan.alignment)).toEqual([
      7,
      null,
      null,
    ]);
  });

  it('put a DST day\'s compared hours under the same wall-clock hour, from a series of the compared day', () => {
    const short = buckets(days('2026-03-29', '2026-03-29'), 'hour');
    const plan = comparePlan(short, days('2026-03-28', '2026-03-28'), 'hour', BERLIN)!;
    // The compared day's own series: visitors = the hour of the day (0 at 00:00 … 23 at 23:00).
    const rows = plan.buckets.map((t): QueryRow => ({ dimensions: [t], metrics: [Number(clock(t).slice(0, 2)), 1], comparison: null }));
    const values = alignValues(chartSeries(rows, 'visitors', plan.buckets, 'hour', BERLIN, Date.parse('2027-01-01T00:00:00Z')).values, plan.alignment);
    expect(values).toEqual(short.map((t) => Number(clock(t).slice(0, 2))));
    expect(values.slice(0, 3)).toEqual([0, 1, 3]);
    expect(values.at(-1)).toBe(23);
  });

  it('leave compared buckets that start after now out, like the period\'s own', () => {
    const current = buckets(days('2026-11-24', '2026-11-25'), 'day');
    const plan = comparePlan(current, days('2026-12-01', '2026-12-02'), 'day', BERLIN)!;
    const now = Date.parse('2026-12-01T12:00:00Z');
    const rows = [row('2026-12-01T00:00:00+01:00', [4, 4]), row('2026-12-02T00:00:00+01:00', [0, 0])];
    expect(alignValues(chartSeries(rows, 'visitors', plan.buckets, 'day', BERLIN, now).values, plan.alignment)).toEqual([4, null]);
  });
});
