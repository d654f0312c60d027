import { localTime, type TimeUnit } from '../time/zone.js';

/** Which bucket of the other range a bucket is compared with: equal slots pair up. */
export type Slot = number | string;

const DAY_MS = 86_400_000;

/**
 * The slots of a range's time buckets for `compare`. Days, weeks and months pair by position (the
 * 31st of a month has no partner in a 30-day one). Minutes and hours pair by local day (counted
 * from the range's first) and wall-clock time when both ranges start at the same wall-clock time,
 * so after a DST change 14:00 is still compared with 14:00 and not with the hour before it; the
 * hour a spring change skips and the second run of the hour an autumn change repeats have no
 * partner. Ranges starting at different times of day (a custom compare range) pair by position.
 */
export function bucketSlots(unit: TimeUnit | undefined, main: readonly number[], other: readonly number[], tz: string): [Slot[], Slot[]] {
  const byPosition = (b: readonly number[]): Slot[] => b.map((_, i) => i);
  if ((unit !== 'minute' && unit !== 'hour') || main.length === 0 || other.length === 0) return [byPosition(main), byPosition(other)];
  const clock = (ms: number) => {
    const t = localTime(ms, tz);
    return { day: Date.UTC(t.year, t.month - 1, t.day) / DAY_MS, time: t.hour * 60 + t.minute };
  };
  const firstMain = clock(main[0] as number);
  const firstOther = clock(other[0] as number);
  if (firstMain.time !== firstOther.time) return [byPosition(main), byPosition(other)];
  const slots = (b: readonly number[], first: number): Slot[] => {
    const seen = new Map<string, number>();
    return b.map((ms) => {
      const c = clock(ms);
      const wall = `${c.day - first}|${c.time}`;
      const n = seen.get(wall) ?? 0;
      seen.set(wall, n + 1);
      return `${wall}|${n}`;
    });
  };
  return [slots(main, firstMain.day), slots(other, firstOther.day)];
}
