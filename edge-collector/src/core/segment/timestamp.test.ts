import { describe, expect, it } from 'vitest';
import { parseIsoTime, segmentTime } from './timestamp.js';

describe('parseIsoTime', () => {
  it('reads the ISO 8601 forms Segment clients write, with any zone', () => {
    expect(parseIsoTime('2024-05-01T12:34:56.789Z')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789));
    expect(parseIsoTime('2024-05-01T12:34:56Z')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
    expect(parseIsoTime('2024-05-01T12:34Z')).toBe(Date.UTC(2024, 4, 1, 12, 34));
    expect(parseIsoTime('2024-05-01t12:34:56z')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
    expect(parseIsoTime('2024-05-01 12:34:56Z')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
    expect(parseIsoTime('2024-05-01T14:34:56.789+02:00')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789));
    expect(parseIsoTime('2024-05-01T07:04:56-0530')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
    expect(parseIsoTime('2024-05-01T13:34:56+01')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
    expect(parseIsoTime('2024-05-01')).toBe(Date.UTC(2024, 4, 1));
    // Beyond milliseconds is cut off, not rounded; a comma is ISO's other decimal sign.
    expect(parseIsoTime('2024-05-01T12:34:56.123999Z')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 123));
    expect(parseIsoTime('2024-05-01T12:34:56,5Z')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 500));
    // No zone: UTC, whatever the machine's zone.
    expect(parseIsoTime('2024-05-01T12:34:56')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
  });

  it('agrees with Date.parse on every day of a leap cycle and across the epoch', () => {
    for (let t = Date.UTC(1969, 11, 25); t < Date.UTC(2001, 0, 1); t += 86_400_000 + 3_723_001) {
      const iso = new Date(t).toISOString();
      expect(parseIsoTime(iso)).toBe(t);
    }
    expect(parseIsoTime('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseIsoTime('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
  });

  it('refuses what is not an ISO 8601 date, or an impossible one', () => {
    for (const s of [
      '',
      'yesterday',
      'Wed, 01 May 2024 12:34:56 GMT',
      '05/01/2024',
      '2024-5-1',
      '2024-05-01T12',
      '2024-13-01T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T12:60:00Z',
      '2024-05-01T12:00:60Z',
      '2024-05-01T12:00:00+24:00',
      '2024-05-01T12:00:00Zjunk',
      ' 2024-05-01T12:00:00Z',
      `2024-05-01T12:00:00.${'1'.repeat(100)}Z`,
    ]) {
      expect([s, parseIsoTime(s)]).toEqual([s, undefined]);
    }
  });
});

describe('segmentTime', () => {
  it('takes ISO strings, ms numbers and Dates; null is absent; the rest is invalid', () => {
    expect(segmentTime('2024-05-01T00:00:00Z')).toBe(Date.UTC(2024, 4, 1));
    expect(segmentTime(1_714_521_600_000)).toBe(1_714_521_600_000);
    expect(segmentTime(new Date(Date.UTC(2024, 4, 1)))).toBe(Date.UTC(2024, 4, 1));
    expect(segmentTime(undefined)).toBe('absent');
    expect(segmentTime(null)).toBe('absent');
    for (const v of ['soon', Number.NaN, Number.POSITIVE_INFINITY, true, {}, [], new Date(Number.NaN)]) expect(segmentTime(v)).toBe('invalid');
  });
});
