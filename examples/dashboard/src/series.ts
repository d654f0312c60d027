import type { Cell, QueryRow } from './api.js';
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

/**
 * Aligns API rows to the full list of bucket starts so that quiet periods plot as zero instead of
 * a line drawn straight across them. Rows whose bucket falls outside the list are dropped.
 */
export function alignSeries(
  rows: readonly QueryRow[],
  buckets: readonly number[],
  granularity: Granularity,
  timeZone: string,
  /** 0 for counts; null for averages and rates, which are undefined rather than zero without visits. */
  fill: 0 | null = 0,
): (number | null)[] {
  const index = new Map<number, number>();
  buckets.forEach((b, i) => index.set(b, i));
  const values: (number | null)[] = buckets.map(() => fill);
  for (const row of rows) {
    const t = parseBucket(row.dimensions[0] ?? null, timeZone);
    if (t === null) continue;
    const i = index.get(floorToBucket(t, granularity, timeZone));
    const v = row.metrics[0] ?? null;
    if (i !== undefined && v !== null) values[i] = (values[i] ?? 0) + v;
  }
  return values;
}
