import { describe, expect, it } from 'vitest';
import type { QueryRow } from './api.js';
import { bucketStarts, resolveRange } from './range.js';
import { chartSeries, goalSeries, isolatedPoints, parseBucket } from './series.js';

const row = (t: string | number, ...metrics: number[]): QueryRow => ({ dimensions: [t], metrics, comparison: null });

describe('series alignment', () => {
  const tz = 'Europe/Berlin';
  const days = bucketStarts(resolveRange({ kind: 'custom', from: '2026-11-20', to: '2026-11-22' }, Date.now(), tz), 'day', tz);
  const later = Date.parse('2027-01-01T00:00:00Z');

  it('parses bucket values with offsets, epoch numbers and bare wall times', () => {
    expect(parseBucket('2026-03-29T03:00:00+02:00', 'UTC')).toBe(Date.parse('2026-03-29T01:00:00Z'));
    expect(parseBucket(1_700_000_000, 'UTC')).toBe(1_700_000_000_000);
    expect(parseBucket(1_700_000_000_000, 'UTC')).toBe(1_700_000_000_000);
    expect(parseBucket('2026-11-26 10:00:00', 'Europe/Berlin')).toBe(Date.parse('2026-11-26T09:00:00Z'));
    expect(parseBucket('2026-11-26', 'America/New_York')).toBe(Date.parse('2026-11-26T05:00:00Z'));
    expect(parseBucket('soon', 'UTC')).toBeNull();
  });

  it('puts each row of a count in its bucket and fills the rest with 0', () => {
    const rows = [row('2026-11-22T00:00:00+01:00', 7, 5), row('2026-11-20T00:00:00+01:00', 3, 2), row('2026-12-01T00:00:00+01:00', 99, 9)];
    expect(chartSeries(rows, 'visitors', days, 'day', tz, later)).toEqual({ values: [3, 0, 7], hasData: true });
    // `visits` alone: its one column is the visits too.
    expect(chartSeries([row('2026-11-21T00:00:00+01:00', 4)], 'visits', days, 'day', tz, later)).toEqual({ values: [0, 4, 0], hasData: true });
  });

  it('leaves a gap, not a 0, where a rate or average had no visit', () => {
    // What the API answers for a quiet day: a row of zeros.
    const rows = [row('2026-11-20T00:00:00+01:00', 50, 4), row('2026-11-21T00:00:00+01:00', 0, 0), row('2026-11-22T00:00:00+01:00', 0, 3)];
    expect(chartSeries(rows, 'bounce_rate', days, 'day', tz, later).values).toEqual([50, null, 0]);
    expect(chartSeries(rows, 'visit_duration', days, 'day', tz, later).values).toEqual([50, null, 0]);
    expect(chartSeries(rows, 'views_per_visit', days, 'day', tz, later).values).toEqual([50, null, 0]);
    // Counts stay 0 on a quiet day.
    expect(chartSeries(rows, 'pageviews', days, 'day', tz, later).values).toEqual([50, 0, 0]);
  });

  it('is data when every value is 0 but there were visits, and empty only without visits', () => {
    const noBounce = [row('2026-11-20T00:00:00+01:00', 0, 6), row('2026-11-21T00:00:00+01:00', 0, 0), row('2026-11-22T00:00:00+01:00', 0, 0)];
    expect(chartSeries(noBounce, 'bounce_rate', days, 'day', tz, later)).toEqual({ values: [0, null, null], hasData: true });
    const quiet = days.map((d) => row(new Date(d).toISOString(), 0, 0));
    expect(chartSeries(quiet, 'bounce_rate', days, 'day', tz, later)).toEqual({ values: [null, null, null], hasData: false });
    expect(chartSeries(quiet, 'visitors', days, 'day', tz, later).hasData).toBe(false);
  });

  it('weighs two rows of one bucket by their visits', () => {
    const rows = [row('2026-11-20T00:00:00+01:00', 100, 1), row('2026-11-20T12:00:00+01:00', 0, 3)];
    expect(chartSeries(rows, 'bounce_rate', days, 'day', tz, later).values[0]).toBe(25);
  });

  it('charts a goal\'s conversions as counts, and nothing when none converted', () => {
    const rows = [row('2026-11-20T00:00:00+01:00', 2), row('2026-11-21T00:00:00+01:00', 0), row('2026-11-22T00:00:00+01:00', 5)];
    expect(goalSeries('events', [rows], days, 'day', tz, later)).toEqual({ values: [2, 0, 5], hasData: true });
    expect(goalSeries('visitors', [rows.slice(0, 1)], days, 'day', tz, later)).toEqual({ values: [2, 0, 0], hasData: true });
    const quiet = days.map((d) => row(new Date(d).toISOString(), 0));
    expect(goalSeries('visitors', [quiet], days, 'day', tz, later).hasData).toBe(false);
  });

  it('charts a goal\'s conversion rate per bucket over the visitors without the goal, a gap without any', () => {
    const converted = [row('2026-11-20T00:00:00+01:00', 1), row('2026-11-21T00:00:00+01:00', 0), row('2026-11-22T00:00:00+01:00', 0)];
    const visitors = [row('2026-11-20T00:00:00+01:00', 3), row('2026-11-21T00:00:00+01:00', 0), row('2026-11-22T00:00:00+01:00', 4)];
    // 1 of 3 (to the API's two decimals); no visitor at all (undefined, not 0 %); 0 of 4 is a real 0 %.
    expect(goalSeries('conversion_rate', [converted, visitors], days, 'day', tz, later)).toEqual({ values: [33.33, null, 0], hasData: true });
    const nobody = days.map((d) => row(new Date(d).toISOString(), 0));
    expect(goalSeries('conversion_rate', [nobody, nobody], days, 'day', tz, later)).toEqual({ values: [null, null, null], hasData: false });
  });

  it('charts a goal\'s revenue, and its average per conversion where there was one', () => {
    const rows = [row('2026-11-20T00:00:00+01:00', 0.1 + 0.2, 1), row('2026-11-21T00:00:00+01:00', 0, 0), row('2026-11-22T00:00:00+01:00', 71.7, 3)];
    expect(goalSeries('revenue', [rows], days, 'day', tz, later)).toEqual({ values: [0.3, 0, 71.7], hasData: true });
    expect(goalSeries('average_revenue', [rows], days, 'day', tz, later)).toEqual({ values: [0.3, null, 23.9], hasData: true });
  });

  it('leaves a goal\'s buckets that start after now as gaps', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    const rows = days.map((d) => row(new Date(d).toISOString(), 1, 1));
    for (const card of ['visitors', 'events', 'revenue', 'average_revenue'] as const) {
      expect(goalSeries(card, [rows], days, 'day', tz, now).values, card).toEqual([1, 1, null]);
    }
    expect(goalSeries('conversion_rate', [rows, rows], days, 'day', tz, now).values).toEqual([100, 100, null]);
  });

  it('finds the values a line cannot draw, with gaps on both sides', () => {
    expect(isolatedPoints([null, 5, null, 1, 2, null, 0])).toEqual([1, 6]);
    expect(isolatedPoints([3, null, null])).toEqual([0]);
    expect(isolatedPoints([1, 2, 3])).toEqual([]);
  });

  it('leaves buckets that start after now as gaps', () => {
    const hours = bucketStarts(resolveRange({ kind: 'custom', from: '2026-11-26', to: '2026-11-26' }, Date.now(), 'UTC'), 'hour', 'UTC');
    const now = Date.parse('2026-11-26T15:20:00Z');
    const rows = hours.map((h) => row(new Date(h).toISOString(), h === Date.parse('2026-11-26T15:00:00Z') ? 2 : 0, h <= now ? 1 : 0));
    for (const metric of ['visitors', 'bounce_rate'] as const) {
      const { values } = chartSeries(rows, metric, hours, 'hour', 'UTC', now);
      expect(values).toHaveLength(24);
      // 00:00–15:00 are drawn (the current hour too); 16:00–23:00 have not started.
      expect(values.slice(0, 16).every((v) => v !== null)).toBe(true);
      expect(values.slice(16)).toEqual(Array(8).fill(null));
      expect(values[15]).toBe(2);
    }
  });
});
