import { describe, expect, it } from 'vitest';
import { compareRangeFor, isCompareMode } from './compare-mode.js';
import { comparisonRange } from './comparison.js';
import { resolveRange } from './range.js';

const iso = (r: { from: number; to: number } | null) => r && [new Date(r.from).toISOString(), new Date(r.to).toISOString()];

describe('comparison modes', () => {
  const now = Date.parse('2026-11-26T08:00:40Z');
  const today = resolveRange({ kind: 'preset', preset: 'today' }, now, 'Europe/Berlin');

  it('compute the span each mode compares with, in the zone of the view', () => {
    expect(compareRangeFor('previous_period', today, now, 'Europe/Berlin')).toEqual(comparisonRange(today, now, 'Europe/Berlin'));
    expect(iso(compareRangeFor('year_over_year', today, now, 'Europe/Berlin'))).toEqual(['2025-11-25T23:00:00.000Z', '2025-11-26T08:00:00.000Z']);
    expect(iso(compareRangeFor('year_over_year_weekday', today, now, 'Europe/Berlin'))).toEqual(['2025-11-26T23:00:00.000Z', '2025-11-27T08:00:00.000Z']);
    expect(compareRangeFor('off', today, now, 'Europe/Berlin')).toBeNull();
  });

  it('know their names', () => {
    expect(isCompareMode('year_over_year')).toBe(true);
    expect(isCompareMode('previous_period')).toBe(true);
    expect(isCompareMode('yoy')).toBe(false);
  });
});
