import { describe, expect, it } from 'vitest';
import { previousPeriod } from './previous-period.js';

const range = (from: string, to: string) => ({ fromMs: Date.parse(from), toMs: Date.parse(to) });
const iso = (r: { fromMs: number; toMs: number }) => [new Date(r.fromMs).toISOString(), new Date(r.toMs).toISOString()];

describe('previousPeriod', () => {
  it('compares a 23-hour DST day with the whole day before', () => {
    expect(iso(previousPeriod(range('2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00'), 'Europe/Berlin'))).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
    ]);
  });

  it('compares the day after a 25-hour day with the whole 25 hours', () => {
    expect(iso(previousPeriod(range('2026-10-26T00:00:00+01:00', '2026-10-27T00:00:00+01:00'), 'Europe/Berlin'))).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
  });

  it('compares seven local days with the seven before, across a change', () => {
    expect(iso(previousPeriod(range('2026-04-01T00:00:00+02:00', '2026-04-08T00:00:00+02:00'), 'Europe/Berlin'))).toEqual([
      '2026-03-24T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ]);
  });

  it('keeps the length for ranges that are not whole days, and in UTC', () => {
    expect(iso(previousPeriod(range('2026-03-29T09:20:00+02:00', '2026-03-29T10:20:00+02:00'), 'Europe/Berlin'))).toEqual([
      '2026-03-29T06:20:00.000Z',
      '2026-03-29T07:20:00.000Z',
    ]);
    expect(iso(previousPeriod(range('2026-01-05T00:00:00Z', '2026-01-07T00:00:00Z'), 'UTC'))).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-05T00:00:00.000Z']);
  });
});
