import { describe, expect, it } from 'vitest';
import { bucketsBetween, formatZoned, zonedToInstant } from '../time/zone.js';
import { bucketSlots } from './bucket-slots.js';

const TZ = 'Europe/Berlin';
const day = (d: number, m: number) => zonedToInstant(TZ, 2026, m, d);
const hours = (from: number, to: number) => bucketsBetween('hour', from, to, TZ, 1000) ?? [];

/** Each bucket of `main` as local time, with the local time of the bucket of `other` it is compared with. */
function pairs(main: readonly number[], other: readonly number[], unit: 'hour' | 'day' = 'hour'): [string, string | undefined][] {
  const [a, b] = bucketSlots(unit, main, other, TZ);
  const bySlot = new Map(other.map((ms, i) => [b[i], ms]));
  const local = (ms: number) => formatZoned(ms, TZ).slice(0, 16);
  return main.map((ms, i) => {
    const o = bySlot.get(a[i] as string);
    return [local(ms), o === undefined ? undefined : local(o)];
  });
}

describe('bucketSlots', () => {
  it('compares the hours after a spring DST change with the same clock hours of the day before', () => {
    // 29 March 2026 in Berlin has 23 hours: 02:00 does not exist.
    const main = hours(day(29, 3), day(30, 3));
    const other = hours(day(28, 3), day(29, 3));
    expect(main).toHaveLength(23);
    const p = pairs(main, other);
    expect(p).toContainEqual(['2026-03-29T01:00', '2026-03-28T01:00']);
    expect(p).toContainEqual(['2026-03-29T03:00', '2026-03-28T03:00']);
    expect(p).toContainEqual(['2026-03-29T14:00', '2026-03-28T14:00']);
    expect(p.at(-1)).toEqual(['2026-03-29T23:00', '2026-03-28T23:00']);
  });

  it('leaves the repeated hour of an autumn DST change without a partner', () => {
    // 25 October 2026 in Berlin has 25 hours: 02:00 twice.
    const main = hours(day(25, 10), day(26, 10));
    const other = hours(day(24, 10), day(25, 10));
    expect(main).toHaveLength(25);
    const p = pairs(main, other);
    const twoOClock = p.filter(([m]) => m === '2026-10-25T02:00');
    expect(twoOClock.map(([, o]) => o)).toEqual(['2026-10-24T02:00', undefined]);
    expect(p).toContainEqual(['2026-10-25T14:00', '2026-10-24T14:00']);
    expect(p.filter(([, o]) => o === undefined)).toHaveLength(1);
  });

  it('pairs hours across several days by day and clock time', () => {
    // A week containing the spring change against the week before.
    const p = pairs(hours(day(23, 3), day(30, 3)), hours(day(16, 3), day(23, 3)));
    expect(p).toContainEqual(['2026-03-29T22:00', '2026-03-22T22:00']);
    expect(p).toContainEqual(['2026-03-25T00:00', '2026-03-18T00:00']);
  });

  it('pairs by position when the ranges start at different times of day, and for days', () => {
    const p = pairs(hours(day(29, 3) + 3_600_000 * 5, day(30, 3)), hours(day(20, 3) + 3_600_000 * 9, day(21, 3)));
    expect(p[0]).toEqual(['2026-03-29T06:00', '2026-03-20T09:00']);
    const days = (from: number, to: number) => bucketsBetween('day', from, to, TZ, 1000) ?? [];
    const d = pairs(days(day(1, 3), day(1, 4)), days(day(1, 2), day(1, 3)), 'day');
    expect(d[27]).toEqual(['2026-03-28T00:00', '2026-02-28T00:00']);
    expect(d[28]).toEqual(['2026-03-29T00:00', undefined]);
  });
});
