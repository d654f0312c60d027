/**
 * Segment's clients write times as ISO 8601 strings ("2024-05-01T12:00:00.000Z"). `Date.parse`
 * also takes forms no standard defines, and V8 and JavaScriptCore read those differently: the
 * two runtimes must turn one body into the same events, so only ISO 8601 is read, by arithmetic.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const DAY_MS = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time, or undefined when it is not one
 * (or names an impossible date). A time without a zone is read as UTC: the sender's zone is
 * unknown here, and the server's own would make the answer depend on where the collector runs.
 * Fractions beyond milliseconds are cut off.
 */
export function parseIsoTime(s: string): number | undefined {
  if (s.length > 40) return undefined;
  const m = ISO_8601.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  const ms = m[7] === undefined ? 0 : Number(`${m[7]}00`.slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11] ?? 0);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + ms;
}

/**
 * A Segment time field read for Pulse: an ISO 8601 string, or a number taken as ms since the
 * epoch (Pulse's own unit, which hand-written clients send), or a Date (msgpack's timestamp
 * extension). `absent` for null/undefined; `invalid` for anything else.
 */
export function segmentTime(v: unknown): number | 'absent' | 'invalid' {
  if (v === undefined || v === null) return 'absent';
  if (typeof v === 'string') return parseIsoTime(v) ?? 'invalid';
  if (typeof v === 'number') return Number.isFinite(v) ? v : 'invalid';
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isFinite(t) ? t : 'invalid';
  }
  return 'invalid';
}
