import { describe, expect, it } from 'vitest';
import {
  allowedGranularities,
  bucketStarts,
  customRangeError,
  effectiveGranularity,
  floorToBucket,
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
