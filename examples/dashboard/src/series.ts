import type { Cell, QueryRow } from './api.js';
import { isPerVisit, type GoalCard, type Metric } from './dimensions.js';
import { conversionRate, seriesMetrics } from './query.js';
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

/**
 * Per metric column of a time series answer, its sum in each bucket (0 where no row fell). Rows
 * outside `buckets` are dropped.
 */
function bucketSums(
  rows: readonly QueryRow[],
  columns: number,
  buckets: readonly number[],
  granularity: Granularity,
  timeZone: string,
): number[][] {
  const sums = Array.from({ length: columns }, () => buckets.map(() => 0));
  for (const [i, row] of placeRows(rows, buckets, granularity, timeZone)) {
    sums.forEach((col, c) => (col[i]! += row.metrics[c] ?? 0));
  }
  return sums;
}

/** What the chart draws for one metric. */
export interface ChartSeries {
  /** A value per bucket; null is a gap in the line. */
  values: (number | null)[];
  /**
   * Whether there is anything to chart: a visit in the period (under a goal: a conversion, or a
   * visitor for its rate).
   * This, not "some value is not 0", is what decides between a chart and "No data": a bounce rate
   * of 0 % on every day with visits is data.
   */
  hasData: boolean;
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
  return { values, hasData: visits.some((n) => n > 0) };
}

/**
 * A goal card's chart from the answers of its `goalSeriesQueries`, in their order. Buckets after
 * `now` are gaps, as in `chartSeries`; so are a conversion rate where the bucket had no visitor at
 * all and an average revenue where it had no conversion (both undefined there). Counts and revenue
 * are 0 where nothing converted: that is data once anything converted in the period.
 */
export function goalSeries(
  card: GoalCard,
  answers: readonly (readonly QueryRow[])[],
  buckets: readonly number[],
  granularity: Granularity,
  timeZone: string,
  now: number,
): ChartSeries {
  const sums = (k: number, columns: number) => bucketSums(answers[k] ?? [], columns, buckets, granularity, timeZone);
  const future = (i: number) => (buckets[i] ?? 0) > now;
  const any = (xs: readonly number[]) => xs.some((x) => x > 0);
  switch (card) {
    case 'visitors':
    case 'events': {
      const [counts = []] = sums(0, 1);
      return { values: counts.map((n, i) => (future(i) ? null : n)), hasData: any(counts) };
    }
    case 'conversion_rate': {
      const [converted = []] = sums(0, 1);
      const [visitors = []] = sums(1, 1);
      return {
        values: visitors.map((n, i) => (future(i) ? null : conversionRate(converted[i] ?? 0, n))),
        hasData: any(visitors),
      };
    }
    case 'revenue':
    case 'average_revenue': {
      const [revenue = [], conversions = []] = sums(0, 2);
      const cents = (x: number) => Math.round(x * 100) / 100;
      const values = revenue.map((r, i): number | null => {
        if (future(i)) return null;
        if (card === 'revenue') return cents(r);
        const n = conversions[i] ?? 0;
        return n > 0 ? cents(r / n) : null;
      });
      return { values, hasData: any(conversions) };
    }
  }
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
