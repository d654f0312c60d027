import { comparisonCut, comparisonRange, isCalendarRange, isMidnight } from './comparison.js';
import { MAX_CUSTOM_DAYS, customRangeError, isAllTime, type RangeSpec, type ResolvedRange } from './range.js';
import { addDays, calendarDateOf, parseCalendarDate, startOfDay } from './time.js';
import { sameWeekdaysLastYearRange, yearOverYearRange } from './year-ago.js';

/**
 * What the cards compare the period with, as Plausible's comparison menu offers it. Each is sent to
 * the API as an explicit `compare: {from, to}`, so all of them are computed in the dashboard's time
 * zone: the first three from the same elapsed part of the period (`comparisonCut`), a custom period
 * as the dates chosen (`CompareDates`).
 */
export const COMPARE_MODES = ['previous_period', 'year_over_year', 'year_over_year_weekday', 'custom', 'off'] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];

export const DEFAULT_COMPARE: CompareMode = 'previous_period';

export const COMPARE_LABELS: Record<CompareMode, string> = {
  previous_period: 'Previous period',
  year_over_year: 'Year over year',
  year_over_year_weekday: 'Year over year, same weekdays',
  custom: 'Custom period…',
  off: 'No comparison',
};

/**
 * Why a range cannot be compared with anything, in words for the comparison menu, or null when it
 * can. "All time", as in Plausible, has nothing before it: it starts the day the site was made.
 */
export function compareUnavailable(range: RangeSpec): string | null {
  return isAllTime(range) ? 'All time starts the day the site was created: there is no earlier period to compare with.' : null;
}

/**
 * The comparison that applies to a range: the chosen one, or none (`off`) where the range cannot be
 * compared (`compareUnavailable`). The chosen one stays in the state and the link, and is back with
 * another range.
 */
export function effectiveCompare(mode: CompareMode, range: RangeSpec): CompareMode {
  return compareUnavailable(range) ? 'off' : mode;
}

/** The days a custom comparison covers: both ends inclusive calendar dates (`YYYY-MM-DD`) in the dashboard's zone. */
export interface CompareDates {
  from: string;
  to: string;
}

export function isCompareMode(s: string): s is CompareMode {
  return (COMPARE_MODES as readonly string[]).includes(s);
}

/**
 * Why these dates cannot be compared with, in words for the form, or null when they can: both days
 * given and real, the first not after the last, at most `MAX_CUSTOM_DAYS` (as a custom range).
 */
export function customCompareError(from: string, to: string): string | null {
  if (!from.trim()) return 'Enter the first day to compare with.';
  if (!to.trim()) return 'Enter the last day to compare with.';
  const problem = customRangeError(from, to);
  if (problem?.startsWith('A custom range')) return `A comparison can span at most ${MAX_CUSTOM_DAYS} days.`;
  return problem;
}

/** The instants of a custom comparison: from the first day's midnight to the one after the last day, in the zone. */
export function customCompareRange(dates: CompareDates, timeZone: string): ResolvedRange | null {
  const a = parseCalendarDate(dates.from);
  const b = parseCalendarDate(dates.to);
  if (!a || !b || customCompareError(dates.from, dates.to)) return null;
  return { from: startOfDay(a, timeZone), to: startOfDay(addDays(b, 1), timeZone) };
}

/**
 * The span the cards compare `r` with in this mode; null when there is none (off, nothing elapsed
 * yet, or a custom mode without valid dates). A custom period is compared as chosen, whole days, like
 * Plausible's custom comparison: the merchant picked those dates.
 */
export function compareRangeFor(
  mode: CompareMode,
  r: ResolvedRange,
  now: number,
  timeZone: string,
  custom: CompareDates | null = null,
): ResolvedRange | null {
  switch (mode) {
    case 'previous_period':
      return comparisonRange(r, now, timeZone);
    case 'year_over_year':
      return yearOverYearRange(r, now, timeZone);
    case 'year_over_year_weekday':
      return sameWeekdaysLastYearRange(r, now, timeZone);
    case 'custom':
      return custom && customCompareRange(custom, timeZone);
    case 'off':
      return null;
  }
}

/**
 * The span the chart draws its compared line over: the cards' span (`compareRangeFor`) in whole
 * days, as Plausible and GA draw it. The cards compare like for like, up to this minute ("Today" at
 * 09:20 against yesterday until 09:20); the chart shows how the compared days went on ("Today"
 * against all of yesterday, "This month" on 7 March against 22–28 February), so that the current
 * line, which stops at now, can be read against the whole of the compared one. Both spans start
 * at the same instant: bucket i of the chart is bucket i of what the cards compare with.
 *
 * In practice: the cut of the elapsed part is moved to the end of its day (calendar periods; a cut
 * on a midnight stays), or to the period's end ("Last 24 hours"), and the mode applied there. A
 * custom period is drawn as chosen, as the cards compare it.
 */
export function chartCompareRangeFor(
  mode: CompareMode,
  r: ResolvedRange,
  now: number,
  timeZone: string,
  custom: CompareDates | null = null,
): ResolvedRange | null {
  if (mode === 'custom' || mode === 'off') return compareRangeFor(mode, r, now, timeZone, custom);
  if (now <= r.from) return null;
  if (!isCalendarRange(r, timeZone)) return compareRangeFor(mode, r, r.to, timeZone);
  const cut = comparisonCut(r, now);
  const end = isMidnight(cut, timeZone) ? cut : Math.min(r.to, startOfDay(addDays(calendarDateOf(cut, timeZone), 1), timeZone));
  return compareRangeFor(mode, r, end, timeZone);
}
