import { describe, expect, it } from 'vitest';
import type { QueryRow } from './api.js';
import { bucketStarts, resolveRange } from './range.js';
import { alignSeries, parseBucket } from './series.js';

const row = (t: string | number, v: number): QueryRow => ({ dimensions: [t], metrics: [v], comparison: null });

describe('series alignment', () => {
  it('parses bucket values with offsets, epoch numbers and bare wall times', () => {
    expect(parseBucket('2026-03-29T03:00:00+02:00', 'UTC')).toBe(Date.parse('2026-03-29T01:00:00Z'));
    expect(parseBucket(1_700_000_000, 'UTC')).toBe(1_700_000_000_000);
    expect(parseBucket(1_700_000_000_000, 'UTC')).toBe(1_700_000_000_000);
    expect(parseBucket('2026-11-26 10:00:00', 'Europe/Berlin')).toBe(Date.parse('2026-11-26T09:00:00Z'));
    expect(parseBucket('2026-11-26', 'America/New_York')).toBe(Date.parse('2026-11-26T05:00:00Z'));
    expect(parseBucket('soon', 'UTC')).toBeNull();
  });

  it('puts each row in its bucket and fills the rest', () => {
    const tz = 'Europe/Berlin';
    const r = resolveRange({ kind: 'custom', from: '2026-11-20', to: '2026-11-22' }, Date.now(), tz);
    const buckets = bucketStarts(r, 'day', tz);
    const rows = [row('2026-11-22T00:00:00+01:00', 7), row('2026-11-20T00:00:00+01:00', 3), row('2026-12-01T00:00:00+01:00', 99)];
    expect(alignSeries(rows, buckets, 'day', tz)).toEqual([3, 0, 7]);
    expect(alignSeries([row('2026-11-21T00:00:00+01:00', 50)], buckets, 'day', tz, null)).toEqual([null, 50, null]);
  });
});
