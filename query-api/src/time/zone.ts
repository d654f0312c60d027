/**
 * Calendar arithmetic in an IANA zone with only `Intl` (no tz library): offsets are read from the
 * platform's tz database, so local midnights and hour buckets stay right across DST changes.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The zone's wall clock at a second, read from `Intl` (microseconds a call). */
function wallClock(second: number, tz: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(second * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offsets remembered per zone, this many seconds each (then that zone's memo starts over). */
export const OFFSET_MEMO_ENTRIES = 4096;
const offsetMemo = new Map<string, Map<number, number>>();

/**
 * Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). Remembered: every
 * request, a cached answer's too, resolves its range's local midnights and its compared period, the
 * same few instants over and over, and each `formatToParts` cost ~5 µs (a compared report's
 * cached answer spent more time here than in everything else of ours, CPU profile 2026-12-07).
 */
export function offsetMs(instantMs: number, tz: string): number {
  const second = Math.floor(instantMs / 1000);
  let memo = offsetMemo.get(tz);
  if (!memo) {
    memo = new Map();
    offsetMemo.set(tz, memo);
  }
  const known = memo.get(second);
  if (known !== undefined) return known;
  const t = wallClock(second, tz);
  const offset = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - second * 1000;
  if (memo.size >= OFFSET_MEMO_ENTRIES) memo.clear();
  memo.set(second, offset);
  return offset;
}

/** The zone's wall clock at an instant (to the second). */
export function localTime(instantMs: number, tz: string): LocalTime {
  const wall = new Date(Math.floor(instantMs / 1000) * 1000 + offsetMs(instantMs, tz));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/**
 * The instant of a local wall-clock time (month 1-based; out-of-range days roll over like Date.UTC).
 * A time skipped by a DST jump resolves to the instant just after the jump.
 */
export function zonedToInstant(tz: string, year: number, month: number, day: number, hour = 0, minute = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetMs(wall, tz);
  const second = wall - offsetMs(first, tz);
  if (first === second) return first;
  // Two candidates: the offset changed in between. Prefer one that maps back to the wall time.
  const back = (t: number) => t + offsetMs(t, tz) === wall;
  if (back(second)) return second;
  if (back(first)) return first;
  return Math.max(first, second);
}

export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** Start of the local bucket holding `instantMs` (weeks start on Monday). */
export function bucketStart(unit: TimeUnit, instantMs: number, tz: string): number {
  if (unit === 'minute') return Math.floor(instantMs / 60_000) * 60_000;
  const t = localTime(instantMs, tz);
  if (unit === 'hour') return Math.floor(instantMs / 1000) * 1000 - (t.minute * 60 + t.second) * 1000;
  if (unit === 'day') return zonedToInstant(tz, t.year, t.month, t.day);
  if (unit === 'month') return zonedToInstant(tz, t.year, t.month, 1);
  const weekday = (new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay() + 6) % 7;
  return zonedToInstant(tz, t.year, t.month, t.day - weekday);
}

/** Start of the bucket after the one starting at `startMs`. */
export function nextBucket(unit: TimeUnit, startMs: number, tz: string): number {
  if (unit === 'minute') return startMs + 60_000;
  if (unit === 'hour') return startMs + 3_600_000;
  const t = localTime(startMs, tz);
  if (unit === 'day') return zonedToInstant(tz, t.year, t.month, t.day + 1);
  if (unit === 'week') return zonedToInstant(tz, t.year, t.month, t.day + 7);
  return zonedToInstant(tz, t.year, t.month + 1, 1);
}

/** Distinct (unit, range, zone, max) bucket lists remembered; dashboards ask the same few ranges over and over. */
export const BUCKET_MEMO_ENTRIES = 1024;
const bucketMemo = new Map<string, readonly number[] | null>();

/**
 * Every bucket start overlapping [fromMs, toMs), at most `max` (undefined when there would be more).
 * Remembered: each bucket costs several `Intl` calls (a 30-day series ~150, about a millisecond),
 * and every request (a cache hit too) plans its buckets.
 */
export function bucketsBetween(unit: TimeUnit, fromMs: number, toMs: number, tz: string, max: number): readonly number[] | undefined {
  // Minutes and hours step without `Intl` and may be thousands of buckets: not worth keeping.
  if (unit === 'minute' || unit === 'hour') return walkBuckets(unit, fromMs, toMs, tz, max) ?? undefined;
  const key = `${unit}|${fromMs}|${toMs}|${tz}|${max}`;
  const known = bucketMemo.get(key);
  if (known !== undefined) return known ?? undefined;
  const result = walkBuckets(unit, fromMs, toMs, tz, max);
  if (bucketMemo.size >= BUCKET_MEMO_ENTRIES) bucketMemo.delete(bucketMemo.keys().next().value as string);
  bucketMemo.set(key, result === null ? null : Object.freeze(result));
  return result ?? undefined;
}

function walkBuckets(unit: TimeUnit, fromMs: number, toMs: number, tz: string, max: number): number[] | null {
  const out: number[] = [];
  for (let b = bucketStart(unit, fromMs, tz); b < toMs; b = nextBucket(unit, b, tz)) {
    if (out.length >= max) return null;
    out.push(b);
  }
  return out;
}

/** `2026-03-29T03:00:00+02:00`: the instant with the zone's offset at that instant. */
export function formatZoned(instantMs: number, tz: string): string {
  const t = localTime(instantMs, tz);
  const off = Math.round(offsetMs(instantMs, tz) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(t.year).padStart(4, '0')}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}` +
    `${sign}${p2(Math.floor(abs / 60))}:${p2(abs % 60)}`
  );
}
