import { comparisonRange } from './comparison.js';
import type { ResolvedRange } from './range.js';
import { sameWeekdaysLastYearRange, yearOverYearRange } from './year-ago.js';

/**
 * What the cards compare the period with, as Plausible's comparison menu offers it. Each is sent to
 * the API as an explicit `compare: {from, to}`, so all of them are computed in the dashboard's time
 * zone from the same elapsed part of the period (`comparisonCut`).
 */
export const COMPARE_MODES = ['previous_period', 'year_over_year', 'year_over_year_weekday', 'off'] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];

export const DEFAULT_COMPARE: CompareMode = 'previous_period';

export const COMPARE_LABELS: Record<CompareMode, string> = {
  previous_period: 'Previous period',
  year_over_year: 'Year over year',
  year_over_year_weekday: 'Year over year, same weekdays',
  off: 'No comparison',
};

export function isCompareMode(s: string): s is CompareMode {
  return (COMPARE_MODES as readonly string[]).includes(s);
}

/** The span the cards compare `r` with in this mode; null when there is none (off, or nothing elapsed yet). */
export function compareRangeFor(mode: CompareMode, r: ResolvedRange, now: number, timeZone: string): ResolvedRange | null {
  switch (mode) {
    case 'previous_period':
      return comparisonRange(r, now, timeZone);
    case 'year_over_year':
      return yearOverYearRange(r, now, timeZone);
    case 'year_over_year_weekday':
      return sameWeekdaysLastYearRange(r, now, timeZone);
    case 'off':
      return null;
  }
}
