import { describe, expect, it } from 'vitest';
import { describeComparison } from './comparison.js';
import { resolveRange, type RangeSpec } from './range.js';
import { sameWeekdaysLastYearRange, yearEarlier, yearOverYearRange } from './year-ago.js';

const iso = (t: number) => new Date(t).toISOString();
const preset = (p: Extract<RangeSpec, { kind: 'preset' }>['preset']): RangeSpec => ({ kind: 'preset', preset: p });
const custom = (from: string, to: string): RangeSpec => ({ kind: 'custom', from, to });

/** The year-over-year span of a range as the dashboard resolves it at `now`, in ISO instants. */
function yoy(spec: RangeSpec, now: string, tz: string): [string, string] | null {
  const t = Date.parse(now);
  const c = yearOverYearRange(resolveRange(spec, t, tz), t, tz);
  return c && [iso(c.from), iso(c.to)];
}

function weekdays(spec: RangeSpec, now: string, tz: string): [string, string] | null {
  const t = Date.parse(now);
  const c = sameWeekdaysLastYearRange(resolveRange(spec, t, tz), t, tz);
  return c && [iso(c.from), iso(c.to)];
}

function label(spec: RangeSpec, now: string, tz: string): string {
  const t = Date.parse(now);
  return describeComparison(yearOverYearRange(resolveRange(spec, t, tz), t, tz)!, t, tz);
}

describe('yearEarlier', () => {
  it('keeps the date, and turns 29 February into 28 February', () => {
    expect(yearEarlier({ year: 2026, month: 11, day: 26 })).toEqual({ year: 2025, month: 11, day: 26 });
    expect(yearEarlier({ year: 2028, month: 2, day: 29 })).toEqual({ year: 2027, month: 2, day: 28 });
    expect(yearEarlier({ year: 2029, month: 2, day: 28 })).toEqual({ year: 2028, month: 2, day: 28 });
    expect(yearEarlier({ year: 2026, month: 1, day: 1 })).toEqual({ year: 2025, month: 1, day: 1 });
  });
});

describe('yearOverYearRange', () => {
  it('compares the elapsed part of today with the same date last year until the same time', () => {
    // 09:00:40 in Berlin (UTC+1 on both dates).
    expect(yoy(preset('today'), '2026-11-26T08:00:40Z', 'Europe/Berlin')).toEqual(['2025-11-25T23:00:00.000Z', '2025-11-26T08:00:00.000Z']);
    expect(label(preset('today'), '2026-11-26T08:00:40Z', 'Europe/Berlin')).toBe('26 Nov 2025 until 09:00');
    // A week in progress: the same seven dates, cut at the same time.
    expect(yoy(preset('7d'), '2026-11-26T08:00:40Z', 'Europe/Berlin')).toEqual(['2025-11-19T23:00:00.000Z', '2025-11-26T08:00:00.000Z']);
    expect(label(preset('7d'), '2026-11-26T08:00:40Z', 'Europe/Berlin')).toBe('20 Nov 2025 – 26 Nov 2025 until 09:00');
  });

  it('keeps the wall clock in the site\'s zone, whatever the UTC offset was a year before', () => {
    // 30 March 2026 09:00 (summer time) against 30 March 2025, the day DST began: that midnight was
    // still winter time (23:00Z), 09:00 summer time (07:00Z).
    expect(yoy(preset('today'), '2026-03-30T07:00:00Z', 'Europe/Berlin')).toEqual(['2025-03-29T23:00:00.000Z', '2025-03-30T07:00:00.000Z']);
    // 28 March 2026 is winter time; 28 March 2025 too; 29 March 2026 (winter until 02:00) against
    // 29 March 2025 (all winter) at 12:00 local: 10:00Z against 11:00Z.
    expect(yoy(preset('today'), '2026-03-29T10:00:00Z', 'Europe/Berlin')).toEqual(['2025-03-28T23:00:00.000Z', '2025-03-29T11:00:00.000Z']);
    // New York: midnight is 05:00Z in winter, 04:00Z in summer.
    expect(yoy(preset('yesterday'), '2026-11-02T12:00:00Z', 'America/New_York')).toEqual(['2025-11-01T04:00:00.000Z', '2025-11-02T04:00:00.000Z']);
    // The same instant in another zone is another date: Tokyo's today is already 27 November.
    expect(yoy(preset('today'), '2026-11-26T20:00:00Z', 'Asia/Tokyo')).toEqual(['2025-11-26T15:00:00.000Z', '2025-11-26T20:00:00.000Z']);
  });

  it('compares 29 February with 28 February, and a leap February with the whole February before', () => {
    // "Today" on 29 February 2028 at 09:00: 28 February 2027 until 09:00.
    expect(yoy(preset('today'), '2028-02-29T09:00:00Z', 'UTC')).toEqual(['2027-02-28T00:00:00.000Z', '2027-02-28T09:00:00.000Z']);
    // "Yesterday" on 1 March 2028 is 29 February: one day, 28 February 2027.
    expect(yoy(preset('yesterday'), '2028-03-01T09:00:00Z', 'UTC')).toEqual(['2027-02-28T00:00:00.000Z', '2027-03-01T00:00:00.000Z']);
    // "Last month" on 5 March 2028 is February 2028 (29 days): all of February 2027 (28 days).
    expect(yoy(preset('last_month'), '2028-03-05T09:00:00Z', 'UTC')).toEqual(['2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z']);
    // The same dates across the leap day: 26 February – 3 March 2028 (7 days) against 26 February –
    // 3 March 2027 (6 days: there is no 29th).
    expect(yoy(custom('2028-02-26', '2028-03-03'), '2028-06-01T00:00:00Z', 'UTC')).toEqual(['2027-02-26T00:00:00.000Z', '2027-03-04T00:00:00.000Z']);
  });

  it('keeps a day ending on 28 February one day when the year before had a 29th, but whole months whole', () => {
    // 28 February 2029 alone against 28 February 2028 alone, not 28–29 February.
    expect(yoy(custom('2029-02-28', '2029-02-28'), '2029-06-01T00:00:00Z', 'UTC')).toEqual(['2028-02-28T00:00:00.000Z', '2028-02-29T00:00:00.000Z']);
    expect(yoy(custom('2029-02-15', '2029-02-28'), '2029-06-01T00:00:00Z', 'UTC')).toEqual(['2028-02-15T00:00:00.000Z', '2028-02-29T00:00:00.000Z']);
    // February 2029 ("Last month" on 10 March) against all of February 2028, the 29th included.
    expect(yoy(preset('last_month'), '2029-03-10T09:00:00Z', 'UTC')).toEqual(['2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z']);
    expect(label(preset('last_month'), '2029-03-10T09:00:00Z', 'UTC')).toBe('1 Feb 2028 – 29 Feb 2028');
    // A month in progress: the same dates, until the same time.
    expect(yoy(preset('month'), '2029-03-10T09:30:00Z', 'Europe/Berlin')).toEqual(['2028-02-29T23:00:00.000Z', '2028-03-10T09:30:00.000Z']);
  });

  it('ends the last 24 hours at the same time a year before and keeps them 24 hours long, leap day or not', () => {
    expect(yoy(preset('24h'), '2026-11-26T15:20:30Z', 'UTC')).toEqual(['2025-11-25T16:00:00.000Z', '2025-11-26T15:20:00.000Z']);
    // At 05:00 on 1 March 2028 the 24 hours began on 29 February: 28 February 2027 06:00 – 1 March 05:00.
    expect(yoy(preset('24h'), '2028-03-01T05:00:00Z', 'UTC')).toEqual(['2027-02-28T06:00:00.000Z', '2027-03-01T05:00:00.000Z']);
  });

  it('has nothing to compare before a period begins', () => {
    expect(yoy(custom('2026-12-01', '2026-12-03'), '2026-11-26T09:00:00Z', 'UTC')).toBeNull();
  });
});

describe('sameWeekdaysLastYearRange', () => {
  it('goes back 52 weeks, so every day lines up with the same weekday, at the same wall-clock time', () => {
    // Thursday 26 November 2026 09:00 Berlin: Thursday 27 November 2025 until 09:00.
    const c = weekdays(preset('today'), '2026-11-26T08:00:40Z', 'Europe/Berlin');
    expect(c).toEqual(['2025-11-26T23:00:00.000Z', '2025-11-27T08:00:00.000Z']);
    const weekday = (t: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'long' }).format(Date.parse(t));
    expect(weekday(c![0])).toBe('Thursday');
    const t = Date.parse('2026-11-26T08:00:40Z');
    const range = sameWeekdaysLastYearRange(resolveRange(preset('today'), t, 'Europe/Berlin'), t, 'Europe/Berlin')!;
    expect(describeComparison(range, t, 'Europe/Berlin', { weekday: true })).toBe('Thu 27 Nov 2025 until 09:00');
    // A complete week over the DST change of 29 March 2026, Monday to Sunday, against Monday 24 –
    // Sunday 30 March 2025 (whose Sunday had the change): midnight to midnight in Berlin time.
    expect(weekdays(custom('2026-03-23', '2026-03-29'), '2026-06-01T00:00:00Z', 'Europe/Berlin')).toEqual([
      '2025-03-23T23:00:00.000Z',
      '2025-03-30T22:00:00.000Z',
    ]);
    expect(weekdays(preset('24h'), '2026-11-26T15:20:30Z', 'UTC')).toEqual(['2025-11-26T16:00:00.000Z', '2025-11-27T15:20:00.000Z']);
  });
});
