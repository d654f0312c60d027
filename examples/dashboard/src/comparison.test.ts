import { describe, expect, it } from 'vitest';
import { comparisonRange, describeComparison } from './comparison.js';
import { resolveRange, type RangeSpec } from './range.js';

const iso = (t: number) => new Date(t).toISOString();
const preset = (p: Extract<RangeSpec, { kind: 'preset' }>['preset']): RangeSpec => ({ kind: 'preset', preset: p });

/** The comparison of a range as the dashboard resolves it at `now`, in ISO instants. */
function compared(spec: RangeSpec, now: string, tz: string): [string, string] | null {
  const t = Date.parse(now);
  const c = comparisonRange(resolveRange(spec, t, tz), t, tz);
  return c && [iso(c.from), iso(c.to)];
}

function label(spec: RangeSpec, now: string, tz: string): string {
  const t = Date.parse(now);
  return describeComparison(comparisonRange(resolveRange(spec, t, tz), t, tz)!, t, tz);
}

describe('comparisonRange', () => {
  it('compares the elapsed part of today with yesterday until the same time, not with all of it', () => {
    // 09:00:40 in Berlin (UTC+1): yesterday 00:00–09:00 Berlin.
    expect(compared(preset('today'), '2026-11-26T08:00:40Z', 'Europe/Berlin')).toEqual(['2026-11-24T23:00:00.000Z', '2026-11-25T08:00:00.000Z']);
    expect(label(preset('today'), '2026-11-26T08:00:40Z', 'Europe/Berlin')).toBe('yesterday until 09:00');
    // In the first minute there is still a minute to compare (the API refuses an empty range).
    expect(compared(preset('today'), '2026-11-26T00:00:10Z', 'UTC')).toEqual(['2026-11-25T00:00:00.000Z', '2026-11-25T00:01:00.000Z']);
  });

  it('lines the wall clock up across a DST change in a non-UTC zone', () => {
    // 29 March 2026, Berlin springs forward (23 hours). At 09:00 CEST: 28 March 00:00–09:00 CET,
    // nine hours against today's eight.
    expect(compared(preset('today'), '2026-03-29T07:00:00Z', 'Europe/Berlin')).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T08:00:00.000Z']);
    // The day after: the short day until 09:00 (eight hours), against eight.
    expect(compared(preset('today'), '2026-03-30T07:00:00Z', 'Europe/Berlin')).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T07:00:00.000Z']);
    expect(label(preset('today'), '2026-03-30T07:00:00Z', 'Europe/Berlin')).toBe('yesterday until 09:00');
    // 25 October 2026 falls back (25 hours): at 09:00 CET, 24 October 00:00–09:00 CEST.
    expect(compared(preset('today'), '2026-10-25T08:00:00Z', 'Europe/Berlin')).toEqual(['2026-10-23T22:00:00.000Z', '2026-10-24T07:00:00.000Z']);
    // A week in progress over the change: the 7 days before, 09:00 against 09:00.
    expect(compared(preset('7d'), '2026-04-01T07:00:00Z', 'Europe/Berlin')).toEqual(['2026-03-18T23:00:00.000Z', '2026-03-25T08:00:00.000Z']);
    // A complete day moves by a calendar day, not by its 23 hours as "previous_period" would.
    expect(compared(preset('yesterday'), '2026-03-30T07:00:00Z', 'Europe/Berlin')).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z']);
  });

  it('compares a month in progress with as many days just before it, cut at the same time', () => {
    // 7 March 09:00 UTC: 1–7 March so far, against 22–28 February until 09:00.
    expect(compared(preset('month'), '2026-03-07T09:00:00Z', 'UTC')).toEqual(['2026-02-22T00:00:00.000Z', '2026-02-28T09:00:00.000Z']);
    expect(label(preset('month'), '2026-03-07T09:00:00Z', 'UTC')).toBe('22 Feb – 28 Feb until 09:00');
    // Month ends: 31 March (31 days so far) lines up with 28 February, the 31 days before.
    expect(compared(preset('month'), '2026-03-31T09:00:00Z', 'UTC')).toEqual(['2026-01-29T00:00:00.000Z', '2026-02-28T09:00:00.000Z']);
    // In a leap year the same day lines up with 29 February.
    expect(compared(preset('month'), '2028-03-31T09:00:00Z', 'UTC')).toEqual(['2028-01-30T00:00:00.000Z', '2028-02-29T09:00:00.000Z']);
    // The first of the month: the last day of the one before, until the same time.
    expect(compared(preset('month'), '2026-03-01T09:00:00Z', 'UTC')).toEqual(['2026-02-28T00:00:00.000Z', '2026-02-28T09:00:00.000Z']);
    expect(label(preset('month'), '2026-03-01T09:00:00Z', 'UTC')).toBe('yesterday until 09:00');
  });

  it('compares a complete period with the same length just before, as "previous_period" does', () => {
    expect(compared(preset('last_month'), '2026-03-07T09:00:00Z', 'UTC')).toEqual(['2026-01-04T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
    expect(label(preset('last_month'), '2026-03-07T09:00:00Z', 'UTC')).toBe('4 Jan – 31 Jan');
    expect(compared({ kind: 'custom', from: '2026-03-02', to: '2026-03-02' }, '2026-03-07T09:00:00Z', 'UTC')).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
    ]);
    expect(label({ kind: 'custom', from: '2026-03-02', to: '2026-03-02' }, '2026-03-07T09:00:00Z', 'UTC')).toBe('1 Mar');
  });

  it('cuts the last 24 hours at the same minute a day before, and names the year when it differs', () => {
    expect(compared(preset('24h'), '2026-11-26T15:20:30Z', 'UTC')).toEqual(['2026-11-24T16:00:00.000Z', '2026-11-25T15:20:00.000Z']);
    expect(label(preset('24h'), '2026-11-26T15:20:30Z', 'UTC')).toBe('24 Nov 16:00 – 25 Nov 15:20');
    expect(label(preset('12mo'), '2026-11-26T09:00:00Z', 'UTC')).toBe('5 Dec 2024 – 30 Nov 2025 until 09:00');
  });

  it('has nothing to compare before a period begins', () => {
    expect(compared({ kind: 'custom', from: '2026-12-01', to: '2026-12-03' }, '2026-11-26T09:00:00Z', 'UTC')).toBeNull();
  });
});
