import { localTime, zonedToInstant } from '../time/zone.js';
import type { Range } from './date-range.js';

const DAY_MS = 86_400_000;

/**
 * `compare: "previous_period"`. A range of whole days in the zone is compared with as many whole
 * days just before it, so a 23-hour DST day is compared with the 24 hours of the day before (not
 * with 23 hours starting at 01:00) and a week with a DST change with the seven days before; any
 * other range with the same length just before it.
 */
export function previousPeriod(r: Range, tz: string): Range {
  const from = localTime(r.fromMs, tz);
  const to = localTime(r.toMs, tz);
  const startOf = (t: { year: number; month: number; day: number }) => zonedToInstant(tz, t.year, t.month, t.day);
  if (startOf(from) === r.fromMs && startOf(to) === r.toMs) {
    const days = Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / DAY_MS);
    return { fromMs: zonedToInstant(tz, from.year, from.month, from.day - days), toMs: r.fromMs };
  }
  return { fromMs: r.fromMs - (r.toMs - r.fromMs), toMs: r.fromMs };
}
