import { BadRequestError } from '../errors.js';
import { localTime, zonedToInstant } from '../time/zone.js';

export type DateRangeInput = { from: string; to: string } | string;

/** What a site brings to a range: its zone (the default one) and its creation, where `all` starts. */
export interface RangeSite {
  timezone: string;
  created_at: number;
}

export interface Range {
  fromMs: number;
  toMs: number;
}

/** Longest range a query may span: three years with a leap day to spare (1,098 days). */
export const MAX_RANGE_DAYS = 3 * 366;
/**
 * Most calendar months `<n>mo` may name: any 36 consecutive months span at most 1,096 days, within
 * MAX_RANGE_DAYS, while 37 span at least 1,123.
 */
export const MAX_RANGE_MONTHS = 36;

/**
 * Relative ranges the schema accepts (`DATE_RANGE_PATTERN` in catalog.ts is the same set): `n` is
 * bounded there by digits, and by MAX_RANGE_DAYS here with a message saying so.
 */
const RELATIVE = /^(?:(today|yesterday|month|year|all)|([1-9][0-9]*)(d|h|mo))$/;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

function tooLong(field: string, what = `${MAX_RANGE_DAYS} days`): BadRequestError {
  return new BadRequestError(field, `may span at most ${what}`);
}

/** `[fromMs, toMs)` of `{from, to}` (ISO instants the schema has checked). */
export function explicitRange(input: { from: string; to: string }, field: string): Range {
  const fromMs = Date.parse(input.from);
  const toMs = Date.parse(input.to);
  if (!(fromMs < toMs)) throw new BadRequestError(`${field}.to`, 'must be later than from');
  if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS) throw tooLong(field);
  return { fromMs, toMs };
}

/**
 * `[fromMs, toMs)` of an explicit or relative range. Relative ones are calendar periods in `tz`:
 * days end at local midnight (23 or 25 hours long across a DST change), "to date" means through
 * the end of today, and `<n>mo` are whole months, this one included in full. `all` starts with the
 * local day the site was created (`siteCreatedMs`): no event of a site predates its write key. It
 * alone is not held to MAX_RANGE_DAYS, which guards against typos, not against a site's age.
 */
export function resolveRange(input: DateRangeInput, tz: string, nowMs: number, field: string, siteCreatedMs: number): Range {
  if (typeof input === 'object') return explicitRange(input, field);
  const m = RELATIVE.exec(input);
  if (!m) throw new BadRequestError(field, `${JSON.stringify(input)} is not a relative range`);
  const now = localTime(nowMs, tz);
  // Out-of-range days and months roll over (zonedToInstant works like Date.UTC).
  const local = (month: number, day: number) => zonedToInstant(tz, now.year, month, day);
  const endOfToday = local(now.month, now.day + 1);
  switch (m[1]) {
    case 'today':
      return { fromMs: local(now.month, now.day), toMs: endOfToday };
    case 'yesterday':
      return { fromMs: local(now.month, now.day - 1), toMs: local(now.month, now.day) };
    case 'month':
      return { fromMs: local(now.month, 1), toMs: endOfToday };
    case 'year':
      return { fromMs: local(1, 1), toMs: endOfToday };
    case 'all': {
      const created = localTime(Math.min(siteCreatedMs, nowMs), tz);
      return { fromMs: zonedToInstant(tz, created.year, created.month, created.day), toMs: endOfToday };
    }
  }
  const n = Number(m[2]);
  switch (m[3]) {
    case 'd':
      if (n > MAX_RANGE_DAYS) throw tooLong(field);
      return { fromMs: local(now.month, now.day + 1 - n), toMs: endOfToday };
    case 'h': {
      if (n > MAX_RANGE_DAYS * 24) throw tooLong(field);
      const hourEnd = Math.floor(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS;
      return { fromMs: hourEnd - n * HOUR_MS, toMs: hourEnd };
    }
    default:
      if (n > MAX_RANGE_MONTHS) throw tooLong(field, `${MAX_RANGE_MONTHS} months (${MAX_RANGE_DAYS} days)`);
      return { fromMs: local(now.month + 1 - n, 1), toMs: local(now.month + 1, 1) };
  }
}
