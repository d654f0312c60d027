import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { validate } from '../schema/json-schema.js';
import { MAX_RANGE_DAYS, MAX_RANGE_MONTHS, resolveRange } from './date-range.js';
import { QUERY_REQUEST_SCHEMA } from './schema.js';

const at = (iso: string) => Date.parse(iso);
const iso = (r: { fromMs: number; toMs: number }) => [new Date(r.fromMs).toISOString(), new Date(r.toMs).toISOString()];
const range = (input: string, tz: string, now: string) => iso(resolveRange(input, tz, at(now), 'date_range', 0));
const DAY = 86_400_000;

describe('relative ranges', () => {
  it('month: from the 1st through the end of today, in the query zone', () => {
    expect(range('month', 'UTC', '2026-01-06T12:00:00Z')).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-07T00:00:00.000Z']);
    // 23:30 UTC on 28 February is already 1 March in Berlin: a one-day month to date there.
    expect(range('month', 'UTC', '2026-02-28T23:30:00Z')).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(range('month', 'Europe/Berlin', '2026-02-28T23:30:00Z')).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-01T23:00:00.000Z']);
  });

  it('month across a DST change: local midnights at both ends, an hour short of whole days', () => {
    const r = resolveRange('month', 'Europe/Berlin', at('2026-03-31T12:00:00Z'), 'date_range', 0);
    expect(iso(r)).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    expect(r.toMs - r.fromMs).toBe(31 * DAY - 3_600_000);
    // New York on the last evening of October, hours before its clocks go back: still October, still -04:00.
    const oct = resolveRange('month', 'America/New_York', at('2026-11-01T03:30:00Z'), 'date_range', 0);
    expect(iso(oct)).toEqual(['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);
  });

  it('year: from 1 January through the end of today, its year that of the query zone', () => {
    expect(range('year', 'UTC', '2026-12-31T23:30:00Z')).toEqual(['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    // The same instant is still 2026 in New York, already 2027 in Tokyo (one day to date).
    expect(range('year', 'America/New_York', '2027-01-01T03:00:00Z')).toEqual(['2026-01-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z']);
    expect(range('year', 'Asia/Tokyo', '2026-12-31T16:00:00Z')).toEqual(['2026-12-31T15:00:00.000Z', '2027-01-01T15:00:00.000Z']);
    expect(range('year', 'UTC', '2028-02-29T10:00:00Z')).toEqual(['2028-01-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z']);
  });

  it('<n>mo: n whole calendar months ending with this one, across year and DST boundaries', () => {
    expect(range('1mo', 'UTC', '2026-01-06T12:00:00Z')).toEqual(['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
    expect(range('6mo', 'UTC', '2026-01-06T12:00:00Z')).toEqual(['2025-08-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
    // 22:30 UTC on 31 March is already April in Berlin: May 2025 through April 2026, summer time at both ends.
    expect(range('12mo', 'Europe/Berlin', '2026-03-31T22:30:00Z')).toEqual(['2025-04-30T22:00:00.000Z', '2026-04-30T22:00:00.000Z']);
    expect(range('12mo', 'Europe/Berlin', '2026-03-29T12:00:00Z')).toEqual(['2025-03-31T22:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    expect(range('3mo', 'America/New_York', '2026-01-01T03:00:00Z')).toEqual(['2025-10-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z']);
  });

  it(`<n>mo stops at ${MAX_RANGE_MONTHS} months, the most that always fits in ${MAX_RANGE_DAYS} days`, () => {
    // Every month of a four-year cycle (a leap day in any position), in a zone with DST.
    for (let m = 0; m < 48; m++) {
      const now = Date.UTC(2026, m, 15, 12);
      const most = resolveRange(`${MAX_RANGE_MONTHS}mo`, 'Europe/Berlin', now, 'date_range', 0);
      expect(most.toMs - most.fromMs).toBeLessThanOrEqual(MAX_RANGE_DAYS * DAY);
    }
    expect(() => resolveRange(`${MAX_RANGE_MONTHS + 1}mo`, 'UTC', at('2026-06-15T00:00:00Z'), 'date_range', 0)).toThrow(
      new BadRequestError('date_range', `may span at most ${MAX_RANGE_MONTHS} months (${MAX_RANGE_DAYS} days)`),
    );
  });

  it('all: from the local day the site was created through the end of today, however many years that is', () => {
    const all = (tz: string, created: string, now: string) => iso(resolveRange('all', tz, at(now), 'date_range', at(created)));
    // Created at 23:30 UTC on 9 March 2021, already 10 March in Berlin (winter time); today there ends at 23:00 UTC in winter.
    expect(all('Europe/Berlin', '2021-03-09T23:30:00Z', '2026-01-06T12:00:00Z')).toEqual(['2021-03-09T23:00:00.000Z', '2026-01-06T23:00:00.000Z']);
    expect(all('UTC', '2021-03-09T23:30:00Z', '2026-01-06T12:00:00Z')).toEqual(['2021-03-09T00:00:00.000Z', '2026-01-07T00:00:00.000Z']);
    // Over MAX_RANGE_DAYS, which holds only for ranges a typo could make too long.
    const r = resolveRange('all', 'UTC', at('2026-01-06T12:00:00Z'), 'date_range', at('2016-01-01T00:00:00Z'));
    expect(r.toMs - r.fromMs).toBeGreaterThan(MAX_RANGE_DAYS * DAY);
    // A site created today (or, with a clock ahead, "after now") spans today alone.
    expect(all('UTC', '2026-01-06T08:00:00Z', '2026-01-06T12:00:00Z')).toEqual(range('today', 'UTC', '2026-01-06T12:00:00Z'));
    expect(all('UTC', '2026-01-08T08:00:00Z', '2026-01-06T12:00:00Z')).toEqual(range('today', 'UTC', '2026-01-06T12:00:00Z'));
  });

  it('keeps today, yesterday, <n>d and <n>h as they were', () => {
    expect(range('today', 'Europe/Berlin', '2026-03-29T12:00:00Z')).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(range('yesterday', 'UTC', '2026-01-01T05:00:00Z')).toEqual(['2025-12-31T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect(range('7d', 'UTC', '2026-01-06T12:00:00Z')).toEqual(['2025-12-31T00:00:00.000Z', '2026-01-07T00:00:00.000Z']);
    expect(range('24h', 'UTC', '2026-01-06T12:30:00Z')).toEqual(['2026-01-05T13:00:00.000Z', '2026-01-06T13:00:00.000Z']);
  });

  it('the schema accepts month, year, all and <n>mo, and nothing like them', () => {
    const body = (date_range: string) => ({ site_id: 's_0123456789abcdef', metrics: ['visitors'], date_range });
    for (const ok of ['month', 'year', 'all', '1mo', '6mo', '12mo', '36mo', '99mo']) expect(() => validate(QUERY_REQUEST_SCHEMA, body(ok))).not.toThrow();
    for (const bad of ['mo', '0mo', '06mo', '100mo', 'months', 'this_month', 'year1', '6m', '6MO', 'ALL', 'all_time', 'alltime']) {
      expect(() => validate(QUERY_REQUEST_SCHEMA, body(bad)), bad).toThrow(/^date_range/);
    }
  });
});
