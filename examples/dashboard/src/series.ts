import type { Cell, QueryRow } from './api.js';
import { isPerVisit, type Metric } from './dimensions.js';
import { seriesMetrics } from './query.js';
import { floorToBucket, type Granularity } from './range.js';
import { zonedToInstant } from './time.js';

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;

/**
 * A `time:*` dimension value → instant. Values with an offset (or epoch numbers) are absolute;
 * bare wall times (`2026-03-29 02:00:00`, `2026-03-29`) are read in the query's time zone.
 */
export function parseBucket(v: Cell, timeZone: string): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? (Math.abs(v) < 1e11 ? v * 1000 : v) : null;
  if (typeof v !== 'string' || !v) return null;
  const m = WALL_TIME.exec(v);
  if (m) {
    return zonedToInstant(
      { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4] ?? 0), minute: Number(m[5] ?? 0) },
      timeZone,
    );
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** Each row with the index of its bucket in `buckets`; rows outside the list are dropped. */
function placeRows(rows: readonly QueryRow[], buckets: readonly number[], granularity: Granularity, timeZone: string): [number, QueryRow][] {
  const index = new Map<number, number>();
  buckets.forEach((b, i) => index.set(b, i));
  const out: [number, QueryRow][] = [];
  for (const row of rows) {
    const t = parseBucket(row.dimensions[0] ?? null, timeZone);
    if (t === null) continue;
    const i = index.get(floorToBucket(t, granularity, timeZone));
    if (i !== undefined) out.push([i, row]);
  }
  return out;
}

/** What the chart draws for one metric. */
export interface ChartSeries {
  /** A value per bucket; null is a gap in the line. */
  values: (number | null)[];
  /**
   * Whether the period had any visit. This, not "some value is not 0", is what decides between a
   * chart and "No data": a bounce rate of 0 % on every day with visits is data.
   */
  hasVisits: boolean;
}

/**
 * The chart's values from a `seriesQuery` answer (its metric, then visits). The API gives every
 * bucket of the range a row, 0 in every metric when nothing happened, so:
 * - a bucket that starts after `now` is a gap, not a drop to zero traffic;
 * - a rate or average (bounce rate, visit duration, views per visit) is a gap where there was no
 *   visit: it is undefined there, and a 0 would draw a fall that never happened. Two rows in one
 *   bucket (not expected) are weighted by their visits.
 */
export function chartSeries(
  rows: readonly QueryRow[],
  metric: Metric,
  buckets: readonly number[],
  granularity: Granularity,
  timeZone: string,
  now: number,
): ChartSeries {
  const visitsAt = seriesMetrics(metric).indexOf('visits');
  const perVisit = isPerVisit(metric);
  const sums = buckets.map(() => 0);
  const visits = buckets.map(() => 0);
  for (const [i, row] of placeRows(rows, buckets, granularity, timeZone)) {
    const v = row.metrics[0] ?? 0;
    const n = row.metrics[visitsAt] ?? 0;
    sums[i]! += perVisit ? v * n : v;
    visits[i]! += n;
  }
  const values = buckets.map((start, i): number | null => {
    if (start > now) return null;
    const n = visits[i]!;
    if (!perVisit) return sums[i]!;
    return n > 0 ? Math.round((sums[i]! / n) * 100) / 100 : null;
  });
  return { values, hasVisits: visits.some((n) => n > 0) };
}

/**
 * Indices of values with a gap (or the edge) on both sides. A line needs two neighbours, so once
 * the chart stops drawing every point (long series) these would not show at all: a bounce rate
 * of the one hour with visits among quiet ones, or the first minute of "Today".
 */
export function isolatedPoints(values: readonly (number | null)[]): number[] {
  const out: number[] = [];
  values.forEach((v, i) => {
    if (v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null) out.push(i);
  });
  return out;
}
