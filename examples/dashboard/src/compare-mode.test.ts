import { describe, expect, it } from 'vitest';
import { COMPARE_MODES, compareRangeFor, compareUnavailable, customCompareError, customCompareRange, effectiveCompare, isCompareMode } from './compare-mode.js';
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

  it('compare with a custom period as chosen, whole days in the zone, whatever has elapsed', () => {
    const dates = { from: '2026-10-01', to: '2026-10-31' };
    // October 2026 in Berlin: from CEST midnight to CET midnight (25 October changed the clocks).
    expect(iso(compareRangeFor('custom', today, now, 'Europe/Berlin', dates))).toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    expect(iso(compareRangeFor('custom', today, now, 'America/New_York', { from: '2026-11-01', to: '2026-11-01' }))).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
    ]);
    // Without dates (or with dates that cannot be) there is nothing to compare with.
    expect(compareRangeFor('custom', today, now, 'Europe/Berlin')).toBeNull();
    expect(compareRangeFor('custom', today, now, 'Europe/Berlin', { from: '2026-10-31', to: '2026-10-01' })).toBeNull();
    expect(customCompareRange({ from: '2026-02-30', to: '2026-03-01' }, 'UTC')).toBeNull();
  });

  it('say what is wrong with a custom period\'s dates', () => {
    expect(customCompareError('2026-10-01', '2026-10-31')).toBeNull();
    expect(customCompareError('2026-10-01', '2026-10-01')).toBeNull();
    expect(customCompareError('', '2026-10-31')).toBe('Enter the first day to compare with.');
    expect(customCompareError('2026-10-01', ' ')).toBe('Enter the last day to compare with.');
    expect(customCompareError('2026-13-01', '2026-10-31')).toBe('The start date is not a valid date (YYYY-MM-DD).');
    expect(customCompareError('2026-10-01', '31/10/2026')).toBe('The end date is not a valid date (YYYY-MM-DD).');
    expect(customCompareError('2026-10-31', '2026-10-01')).toBe('The start date is after the end date.');
    expect(customCompareError('2020-01-01', '2026-10-01')).toBe('A comparison can span at most 731 days.');
  });

  it('know their names', () => {
    expect(isCompareMode('custom')).toBe(true);
    expect(isCompareMode('year_over_year')).toBe(true);
    expect(isCompareMode('previous_period')).toBe(true);
    expect(isCompareMode('yoy')).toBe(false);
  });

  it('compare nothing with All time, whatever was chosen, and anything else as chosen', () => {
    const all = { kind: 'preset', preset: 'all' } as const;
    expect(compareUnavailable(all)).toMatch(/no earlier period/);
    for (const mode of COMPARE_MODES) {
      expect(effectiveCompare(mode, all)).toBe('off');
      expect(effectiveCompare(mode, { kind: 'preset', preset: '12mo' })).toBe(mode);
      expect(effectiveCompare(mode, { kind: 'custom', from: '2026-01-01', to: '2026-01-31' })).toBe(mode);
    }
    expect(compareUnavailable({ kind: 'preset', preset: 'today' })).toBeNull();
  });
});
