import {
  HOUR,
  MINUTE,
  addDays,
  addMonths,
  calendarDateOf,
  compareDates,
  formatCalendarDate,
  offsetAt,
  parseCalendarDate,
  startOfDay,
  zonedParts,
  type CalendarDate,
} from './time.js';

export const PRESETS = ['today', 'yesterday', '24h', '7d', '30d', 'month', 'last_month', '12mo', 'all'] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  month: 'This month',
  last_month: 'Last month',
  '12mo': 'Last 12 months',
  all: 'All time',
};

export type RangeSpec =
  | { kind: 'preset'; preset: Preset }
  /** Both ends inclusive calendar dates (`YYYY-MM-DD`) in the dashboard's time zone. */
  | { kind: 'custom'; from: string; to: string };

export const GRANULARITIES = ['minute', 'hour', 'day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Half-open instant range `[from, to)` in ms since the epoch. */
export interface ResolvedRange {
  from: number;
  to: number;
}

/** A custom range is capped so that a typo cannot ask for decades of hourly buckets. */
export const MAX_CUSTOM_DAYS = 731;

/**
 * Most buckets a chart draws (`bucketStarts`' cap): half the query API's 10,000 `time:*` buckets a
 * query, and more points than a chart's width has pixels. "All time" of an old site is long enough
 * to pass it by day (after some 13 years), so `allowedGranularities` leaves out what would.
 */
export const MAX_CHART_BUCKETS = 5000;

/** Whether a range is the site's whole life ("All time"), which the API resolves itself (`date_range: "all"`). */
export function isAllTime(spec: RangeSpec): boolean {
  return spec.kind === 'preset' && spec.preset === 'all';
}

export function isPreset(s: string): s is Preset {
  return (PRESETS as readonly string[]).includes(s);
}

export function isGranularity(s: string): s is Granularity {
  return (GRANULARITIES as readonly string[]).includes(s);
}

/** Checks a custom range; returns a message naming the problem, or null when it is usable. */
export function customRangeError(from: string, to: string): string | null {
  const a = parseCalendarDate(from);
  const b = parseCalendarDate(to);
  if (!a) return 'The start date is not a valid date (YYYY-MM-DD).';
  if (!b) return 'The end date is not a valid date (YYYY-MM-DD).';
  if (compareDates(a, b) > 0) return 'The start date is after the end date.';
  const days = (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000 + 1;
  if (days > MAX_CUSTOM_DAYS) return `A custom range can span at most ${MAX_CUSTOM_DAYS} days.`;
  return null;
}

/**
 * Turns a range into instants. Calendar presets cover whole days in `timeZone` (so "today" ends at
 * the coming midnight and its previous period is all of yesterday); "24h" covers whole hours.
 *
 * "All time" (`all`) is what the query API's `date_range: "all"` means: from the start of the local
 * day the site was created (`siteCreatedAt`, ms; one created later than `now` counts as created now)
 * through the end of today. Without a creation instant (null: a site list that did not say) it starts
 * today, as if the site were new.
 */
export function resolveRange(spec: RangeSpec, now: number, timeZone: string, siteCreatedAt: number | null = null): ResolvedRange {
  const today = calendarDateOf(now, timeZone);
  const days = (first: CalendarDate, lastInclusive: CalendarDate): ResolvedRange => ({
    from: startOfDay(first, timeZone),
    to: startOfDay(addDays(lastInclusive, 1), timeZone),
  });
  if (spec.kind === 'custom') {
    const a = parseCalendarDate(spec.from);
    const b = parseCalendarDate(spec.to);
    if (!a || !b || customRangeError(spec.from, spec.to)) return days(addDays(today, -6), today);
    return days(a, b);
  }
  const firstOfMonth = { ...today, day: 1 };
  switch (spec.preset) {
    case 'today':
      return days(today, today);
    case 'yesterday':
      return days(addDays(today, -1), addDays(today, -1));
    case '24h': {
      const end = floorToBucket(now, 'hour', timeZone) + HOUR;
      return { from: end - 24 * HOUR, to: end };
    }
    case '7d':
      return days(addDays(today, -6), today);
    case '30d':
      return days(addDays(today, -29), today);
    case 'month':
      return { from: startOfDay(firstOfMonth, timeZone), to: startOfDay(addMonths(firstOfMonth, 1), timeZone) };
    case 'last_month':
      return { from: startOfDay(addMonths(firstOfMonth, -1), timeZone), to: startOfDay(firstOfMonth, timeZone) };
    case '12mo':
      return { from: startOfDay(addMonths(firstOfMonth, -11), timeZone), to: startOfDay(addMonths(firstOfMonth, 1), timeZone) };
    case 'all': {
      const created = siteCreatedAt !== null && Number.isFinite(siteCreatedAt) ? Math.min(siteCreatedAt, now) : now;
      return days(calendarDateOf(created, timeZone), today);
    }
  }
}

/** The shortest each granularity's bucket can be (a day of 23 hours, a February of 28 days). */
const SHORTEST_BUCKET: Record<Granularity, number> = {
  minute: MINUTE,
  hour: HOUR,
  day: 23 * HOUR,
  week: 7 * 24 * HOUR - HOUR,
  month: 28 * 24 * HOUR - HOUR,
};

/**
 * At least as many buckets as `bucketStarts` makes of a range this long: the first one may start
 * before the range (the bucket holding its start), every other one starts inside it.
 */
export function maxBuckets(r: ResolvedRange, g: Granularity): number {
  return Math.ceil(Math.max(0, r.to - r.from) / SHORTEST_BUCKET[g]) + 1;
}

/**
 * Granularities that give a readable chart (not one point, not tens of thousands) for a range, and
 * never more than MAX_CHART_BUCKETS buckets ("All time" of a site many years old is not offered by
 * day).
 */
export function allowedGranularities(r: ResolvedRange): Granularity[] {
  const span = r.to - r.from;
  const out: Granularity[] = [];
  if (span <= 2 * 24 * HOUR) out.push('minute');
  if (span <= 62 * 24 * HOUR) out.push('hour');
  if (span > 24 * HOUR + HOUR) out.push('day');
  if (span >= 14 * 24 * HOUR) out.push('week');
  if (span >= 58 * 24 * HOUR) out.push('month');
  return out.filter((g) => maxBuckets(r, g) <= MAX_CHART_BUCKETS);
}

export function defaultGranularity(r: ResolvedRange): Granularity {
  const span = r.to - r.from;
  if (span <= 25 * HOUR) return 'hour';
  if (span <= 95 * 24 * HOUR) return 'day';
  return 'month';
}

/** The requested granularity when it suits the range, otherwise the range's default. */
export function effectiveGranularity(requested: Granularity | null, r: ResolvedRange): Granularity {
  if (requested && allowedGranularities(r).includes(requested)) return requested;
  return defaultGranularity(r);
}

/** Start of the bucket (in `timeZone`) that contains `instant`; weeks start on Monday. */
export function floorToBucket(instant: number, g: Granularity, timeZone: string): number {
  if (g === 'minute') return instant - (((instant % MINUTE) + MINUTE) % MINUTE);
  if (g === 'hour') {
    // Floor the wall clock with this instant's own offset, so both runs of a repeated hour stay apart.
    const local = instant + offsetAt(instant, timeZone);
    return instant - (((local % HOUR) + HOUR) % HOUR);
  }
  const p = zonedParts(instant, timeZone);
  const date = { year: p.year, month: p.month, day: p.day };
  if (g === 'day') return startOfDay(date, timeZone);
  if (g === 'week') return startOfDay(addDays(date, -p.weekday), timeZone);
  return startOfDay({ ...date, day: 1 }, timeZone);
}

/** Every bucket start in `[from, to)`, beginning with the bucket that contains `from`. */
export function bucketStarts(r: ResolvedRange, g: Granularity, timeZone: string, max = MAX_CHART_BUCKETS): number[] {
  const out: number[] = [];
  let t = floorToBucket(r.from, g, timeZone);
  while (t < r.to && out.length < max) {
    out.push(t);
    t = nextBucket(t, g, timeZone);
  }
  return out;
}

function nextBucket(start: number, g: Granularity, timeZone: string): number {
  if (g === 'minute') return start + MINUTE;
  if (g === 'hour') return start + HOUR;
  const d = calendarDateOf(start, timeZone);
  if (g === 'day') return startOfDay(addDays(d, 1), timeZone);
  if (g === 'week') return startOfDay(addDays(d, 7), timeZone);
  return startOfDay(addMonths({ ...d, day: 1 }, 1), timeZone);
}

/** A short human label of a range, e.g. "1 Nov – 7 Nov 2026". */
export function describeRange(spec: RangeSpec): string {
  if (spec.kind === 'preset') return PRESET_LABELS[spec.preset];
  return spec.from === spec.to ? spec.from : `${spec.from} – ${spec.to}`;
}

/** The inclusive calendar dates a resolved range covers, for pre-filling the custom range form. */
export function rangeAsDates(r: ResolvedRange, timeZone: string): { from: string; to: string } {
  return {
    from: formatCalendarDate(calendarDateOf(r.from, timeZone)),
    to: formatCalendarDate(calendarDateOf(Math.max(r.from, r.to - 1), timeZone)),
  };
}
