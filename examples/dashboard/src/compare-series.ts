import type { QueryRow } from './api.js';
import { isMidnight } from './comparison.js';
import { bucketStarts, type Granularity, type ResolvedRange } from './range.js';
import { zonedParts } from './time.js';

/**
 * The compared period on the chart: which bucket of the compared span each bucket of the chart is
 * drawn against, and how its numbers are asked for.
 *
 * Bucket i against bucket i, as Plausible draws it (the first day of the period against the first
 * compared day, the first month against the first month), with two rules so that data is never
 * drawn shifted:
 * - a bucket the compared span does not have (day 31 of a month against a 30-day one, 29 February
 *   against a February of 28 days) is a gap, and compared buckets past the chart's are not drawn;
 * - hours and minutes of whole days (both spans starting at a midnight) line up by day and wall
 *   clock, not by count: on the 23-hour day of a DST change, 03:00 is drawn against 03:00 of the
 *   day compared with (its 02:00 has no counterpart), not against its 02:00, which would move every
 *   later hour of the day by one; on a 25-hour day the repeated hour's second run is a gap when the
 *   compared day has it once. Spans that do not start at a midnight ("Last 24 hours", 24 hours
 *   before) line up by elapsed time, i.e. by count.
 */

/** Where each of the chart's buckets finds its counterpart: an index into the compared buckets, or null (a gap). */
export type Alignment = (number | null)[];

const DAY_MS = 86_400_000;

/**
 * For each bucket of `current`, the index of its counterpart in `compared` (both lists of bucket
 * starts, as `bucketStarts` makes them), or null.
 */
export function alignBuckets(current: readonly number[], compared: readonly number[], granularity: Granularity, timeZone: string): Alignment {
  const first = current[0];
  const firstCompared = compared[0];
  const byWallClock =
    (granularity === 'hour' || granularity === 'minute') &&
    first !== undefined &&
    firstCompared !== undefined &&
    isMidnight(first, timeZone) &&
    isMidnight(firstCompared, timeZone);
  if (!byWallClock) return current.map((_, i) => (i < compared.length ? i : null));
  const at = new Map<string, number>();
  wallClockKeys(compared, timeZone).forEach((key, j) => at.set(key, j));
  return wallClockKeys(current, timeZone).map((key) => at.get(key) ?? null);
}

/**
 * Each bucket's place in its span as "day index|minutes after midnight on the wall clock|run": the
 * run tells apart the two hours (or minutes) a clock going back shows twice.
 */
function wallClockKeys(buckets: readonly number[], timeZone: string): string[] {
  const seen = new Map<string, number>();
  let day0: number | null = null;
  return buckets.map((t) => {
    const p = zonedParts(t, timeZone);
    const day = Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
    day0 ??= day;
    const place = `${day - day0}|${p.hour * 60 + p.minute}`;
    const run = seen.get(place) ?? 0;
    seen.set(place, run + 1);
    return `${place}|${run}`;
  });
}

/** How the chart gets the compared numbers of a comparison, worked out before asking. */
export interface ComparePlan {
  /**
   * What is asked: the compared span cut after the last bucket the chart draws (a custom period of
   * two years against "Today" asks for the day it needs, not for 17,000 hours the API refuses).
   */
  range: ResolvedRange;
  /** The compared span's bucket starts, as far as the chart can use them. */
  buckets: number[];
  /** For each of the chart's buckets, its counterpart in `buckets` (see `alignBuckets`). */
  alignment: Alignment;
  /**
   * Whether the API's own per-bucket comparison (`compare` on the series query) holds every
   * compared bucket the chart draws. It pairs bucket i with bucket i and answers one comparison a
   * row of the chart's period, so it leaves out compared buckets past the chart's last one, which
   * the wall clock needs on a 23-hour day (the compared day's 23:00 is its 24th hour) or against a
   * 25-hour one. Then the compared span is asked as a series of its own.
   */
  viaCompare: boolean;
}

/**
 * The plan for drawing `compared` (a span from `chartCompareRangeFor`) against the chart's buckets,
 * or null when there is nothing of it to draw.
 */
export function comparePlan(
  current: readonly number[],
  compared: ResolvedRange | null,
  granularity: Granularity,
  timeZone: string,
): ComparePlan | null {
  if (!compared || current.length === 0 || compared.to <= compared.from) return null;
  // The wall clock can need up to a DST change's worth of buckets more than the chart has; one more
  // says where the last one needed ends.
  const slack = granularity === 'minute' ? 120 : granularity === 'hour' ? 2 : 0;
  const all = bucketStarts(compared, granularity, timeZone, current.length + slack + 1);
  const alignment = alignBuckets(current, all, granularity, timeZone);
  const last = Math.max(-1, ...alignment.map((j) => j ?? -1));
  if (last < 0) return null;
  const buckets = all.slice(0, last + 1);
  const end = Math.min(compared.to, all[last + 1] ?? compared.to);
  return { range: { from: compared.from, to: end }, buckets, alignment, viaCompare: last < current.length };
}

/**
 * The compared period's rows from an answer to a series query with `compare`: each row's
 * comparison, under the compared bucket the API names for it. Rows without one (no counterpart
 * bucket) are left out.
 */
export function comparedRows(rows: readonly QueryRow[]): QueryRow[] {
  return rows.flatMap((r) =>
    r.comparison && r.comparisonDimensions ? [{ dimensions: r.comparisonDimensions, metrics: r.comparison, comparison: null }] : [],
  );
}

/** Values per compared bucket, put under the chart's buckets: null where a bucket has no counterpart. */
export function alignValues<T>(values: readonly (T | null)[], alignment: Alignment): (T | null)[] {
  return alignment.map((j) => (j === null ? null : (values[j] ?? null)));
}
