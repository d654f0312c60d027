import { comparisonCut, isCalendarRange, isMidnight, shiftWallClock } from './comparison.js';
import type { ResolvedRange } from './range.js';
import { addDays, calendarDateOf, startOfDay, zonedParts, zonedToInstant, type CalendarDate } from './time.js';

/** The same calendar date a year earlier; 29 February, which that year lacks, becomes 28 February. */
export function yearEarlier(d: CalendarDate): CalendarDate {
  const year = d.year - 1;
  const lastDay = new Date(Date.UTC(year, d.month, 0)).getUTCDate();
  return { year, month: d.month, day: Math.min(d.day, lastDay) };
}

/** The instant the wall clock in the zone shows the same time on `yearEarlier` of the instant's date. */
function wallClockYearEarlier(instant: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  return zonedToInstant({ ...yearEarlier(p), hour: p.hour, minute: p.minute }, timeZone);
}

/**
 * The same period a year before ("year over year"), as the cards compare with it: the same calendar
 * dates and wall-clock times in the zone (the site's), of the part of the period that has elapsed
 * (`comparisonCut`: "Today" at 09:00 against the same date last year until 09:00), or null when
 * none has.
 *
 * Dates move by a calendar year, not by 365 days or a year of milliseconds: 09:00 stays 09:00 across
 * the DST changes in between, and 1–31 March stays 1–31 March. Leap days:
 * - 29 February becomes 28 February (the date a year before does not exist): "Today" on 29 February
 *   2028 compares with 28 February 2027, and 1–29 February 2028 with 1–28 February 2027;
 * - a period ending on 28 February ends there a year before too (a single day stays a single day:
 *   28 February 2029 against 28 February 2028, not against 28–29 February), except that whole
 *   calendar months compare with the same whole months: February 2029 against all of February
 *   2028, its 29th included.
 *
 * A period that is not whole days ("Last 24 hours") ends at the same wall-clock time a year before
 * and keeps its length, so 24 hours stay 24 hours even when they crossed a 29 February.
 */
export function yearOverYearRange(r: ResolvedRange, now: number, timeZone: string): ResolvedRange | null {
  if (now <= r.from) return null;
  const cut = comparisonCut(r, now);
  if (!isCalendarRange(r, timeZone)) {
    const to = wallClockYearEarlier(cut, timeZone);
    return { from: to - (cut - r.from), to };
  }
  const first = calendarDateOf(r.from, timeZone);
  const from = startOfDay(yearEarlier(first), timeZone);
  if (!isMidnight(cut, timeZone)) return { from, to: wallClockYearEarlier(cut, timeZone) };
  const end = calendarDateOf(cut, timeZone);
  // Whole months: the months a year before, whole (never cut at a 28 February).
  if (first.day === 1 && end.day === 1) return { from, to: startOfDay(yearEarlier(end), timeZone) };
  // Otherwise the period's last day decides, so a day ending at 28 February's midnight stays one day.
  const last = calendarDateOf(cut - 1, timeZone);
  return { from, to: startOfDay(addDays(yearEarlier(last), 1), timeZone) };
}

/** 52 weeks: the same weekdays a year before. */
export const WEEKS_OF_A_YEAR_IN_DAYS = 364;

/**
 * The same period a year before on the same weekdays (52 weeks earlier, as Plausible's "match day of
 * the week"): Saturday against Saturday, which a weekly rhythm (shops busy at weekends, B2B sites on
 * weekdays) needs more than the same date. Calendar days and wall-clock times, like
 * `yearOverYearRange`, of the elapsed part; leap days need no rule, 52 weeks being whole days.
 */
export function sameWeekdaysLastYearRange(r: ResolvedRange, now: number, timeZone: string): ResolvedRange | null {
  if (now <= r.from) return null;
  const cut = comparisonCut(r, now);
  const to = shiftWallClock(cut, -WEEKS_OF_A_YEAR_IN_DAYS, timeZone);
  if (!isCalendarRange(r, timeZone)) return { from: to - (cut - r.from), to };
  return { from: shiftWallClock(r.from, -WEEKS_OF_A_YEAR_IN_DAYS, timeZone), to };
}
