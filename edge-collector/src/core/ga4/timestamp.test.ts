import { describe, expect, it } from 'vitest';
import { ga4Time } from './timestamp.js';

describe('ga4Time', () => {
  it('reads microseconds, as a number or decimal text, as ms with sub-ms digits cut off', () => {
    expect(ga4Time(1_714_564_800_123_456)).toBe(1_714_564_800_123);
    expect(ga4Time('1714564800123999')).toBe(1_714_564_800_123);
    expect(ga4Time(1_714_564_800_000_000.7)).toBe(1_714_564_800_000);
    expect(ga4Time(1_000)).toBe(1);
    expect(ga4Time(undefined)).toBe('absent');
    expect(ga4Time(null)).toBe('absent');
  });

  it('names what is no time: a type, or a value at or before the epoch', () => {
    for (const v of ['soon', '-5', '1.5e15', '', true, {}, [1], '12345678901234567890']) expect([v, ga4Time(v)]).toEqual([v, 'invalid_type']);
    for (const v of [0, 999, -1_714_564_800_000_000, '0', Number.NaN, Number.POSITIVE_INFINITY]) expect([v, ga4Time(v)]).toEqual([v, 'invalid_value']);
  });
});
