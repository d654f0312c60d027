/** int64 in proto3's JSON form, which GA's protocol is: a number, or its decimal text. */
const INT64_TEXT = /^\d{1,19}$/;

/**
 * A GA4 `timestamp_micros` (µs since the epoch) as ms, sub-millisecond digits cut off. `absent`
 * for null/undefined; a time at or before the epoch is `invalid_value`, and anything but a number
 * or its decimal text `invalid_type`, named after the field by the caller.
 */
export function ga4Time(v: unknown): number | 'absent' | 'invalid_type' | 'invalid_value' {
  if (v === undefined || v === null) return 'absent';
  let micros: number;
  if (typeof v === 'number') micros = v;
  else if (typeof v === 'string' && INT64_TEXT.test(v)) micros = Number(v);
  else return 'invalid_type';
  if (!Number.isFinite(micros)) return 'invalid_value';
  const ms = Math.floor(micros / 1000);
  return ms > 0 ? ms : 'invalid_value';
}
