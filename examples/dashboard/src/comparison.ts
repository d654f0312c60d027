import type { ResolvedRange } from './range.js';
import { MINUTE, addDays, calendarDateOf, compareDates, startOfDay, zonedParts, zonedToInstant, type CalendarDate } from './time.js';

/**
 * The span the headline cards compare a period with (the query's `compare: {from, to}`), or null
 * when none of the period has begun (nothing to compare yet).
 *
 * A period that reaches past now ("Today", "This month", "Last 7 days", "Last 24 hours", a custom
 * range ending today) is compared like for like: only its elapsed part counts, so the comparison is
 * the same elapsed span of the period before (at 09:00, today vs yesterday 00:00–09:00; not vs all
 * of yesterday, which made every morning look like a slump).
 *
 * "The period before" is what the API's `compare: "previous_period"` means — the same length just
 * before — taken of the elapsed part: a period that has touched N days so far is compared with the
 * N days before it, cut at the same time of day. "This month" on 7 March at 09:00 compares with
 * 22–28 February until 09:00, not with 1–7 February: a complete period (last month, 30 days) already
 * compares with the same number of days before, not the calendar month before, so a month in
 * progress follows the same rule; the two spans are always equally long (1–31 March against 1–28
 * February would not be), and a span of whole weeks keeps its mix of weekdays. It is what Plausible
 * does for a month to date.
 *
 * Calendar periods (whole days in the zone) move by calendar days, not by 24-hour steps, so the wall
 * clock lines up across a DST change (09:00 against 09:00 even when one of the days had 23 hours);
 * that is also where an explicit range differs from the API's own "previous_period", which moves by
 * milliseconds. "Last 24 hours" is whole hours and moves by its length. The cut is the current
 * minute's start (at least a minute in), so the label can say "until 09:00" and the answer caches
 * for that minute.
 */
export function comparisonRange(r: ResolvedRange, now: number, timeZone: string): ResolvedRange | null {
  if (now <= r.from) return null;
  const cut = comparisonCut(r, now);
  if (!isCalendarRange(r, timeZone)) {
    const length = r.to - r.from;
    return { from: r.from - length, to: cut - length };
  }
  // The days touched so far, the one the cut falls in included (a cut at midnight touches none of it).
  const first = calendarDateOf(r.from, timeZone);
  const last = calendarDateOf(cut - 1, timeZone);
  const days = daysBetween(first, last) + 1;
  return { from: shiftWallClock(r.from, -days, timeZone), to: shiftWallClock(cut, -days, timeZone) };
}

/**
 * What the cards are compared with, for their caption and the changes' tooltips: "yesterday until
 * 09:00", "22 Feb – 28 Feb until 09:00", "25 Nov", "25 Nov 16:00 – 26 Nov 15:20", "26 Nov 2025"
 * (another year); with `weekday`, days name theirs ("Thu 27 Nov 2025"), for a comparison chosen
 * for its weekdays.
 */
export function describeComparison(c: ResolvedRange, now: number, timeZone: string, opts: { weekday?: boolean } = {}): string {
  const year = zonedParts(now, timeZone).year;
  const startDate = calendarDateOf(c.from, timeZone);
  const onMidnight = (t: number) => isMidnight(t, timeZone);
  const withYear = [c.from, c.to - 1].some((t) => calendarDateOf(t, timeZone).year !== year);
  const day = (t: number) => formatDay(t, timeZone, withYear, opts.weekday ?? false);
  if (!onMidnight(c.from)) return `${day(c.from)} ${clock(c.from, timeZone)} – ${day(c.to)} ${clock(c.to, timeZone)}`;
  const lastDate = calendarDateOf(c.to - 1, timeZone);
  const yesterday = addDays(calendarDateOf(now, timeZone), -1);
  const days =
    compareDates(startDate, lastDate) === 0
      ? compareDates(startDate, yesterday) === 0
        ? 'yesterday'
        : day(c.from)
      : `${day(c.from)} – ${day(c.to - 1)}`;
  return onMidnight(c.to) ? days : `${days} until ${clock(c.to, timeZone)}`;
}

/**
 * Where the compared part of a period ends: the start of the current minute (at least a minute in),
 * or the period's end once it is over. Every comparison (previous period, a year before) is of the
 * part of the period up to here.
 */
export function comparisonCut(r: ResolvedRange, now: number): number {
  return Math.min(r.to, Math.max(r.from + MINUTE, now - (((now % MINUTE) + MINUTE) % MINUTE)));
}

/** Whether an instant is a midnight (a day's start) in the zone. */
export function isMidnight(t: number, timeZone: string): boolean {
  return t === startOfDay(calendarDateOf(t, timeZone), timeZone);
}

/** Whole days in the zone: both ends are midnights. */
export function isCalendarRange(r: ResolvedRange, timeZone: string): boolean {
  return isMidnight(r.from, timeZone) && isMidnight(r.to, timeZone);
}

function daysBetween(a: CalendarDate, b: CalendarDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

/** The instant the wall clock shows the same time `days` calendar days away. */
export function shiftWallClock(instant: number, days: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  return zonedToInstant({ ...addDays(p, days), hour: p.hour, minute: p.minute }, timeZone);
}

function formatDay(t: number, timeZone: string, withYear: boolean, weekday: boolean): string {
  const opts: Intl.DateTimeFormatOptions = {
    timeZone,
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
    ...(weekday ? { weekday: 'short' } : {}),
  };
  // en-GB writes "Thu, 27 Nov 2025": the comma would read as a list in "Compared with …".
  return new Intl.DateTimeFormat('en-GB', opts).format(t).replace(',', '');
}

function clock(t: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);
}
