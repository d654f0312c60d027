import { describe, expect, it } from 'vitest';
import { CHANGE_RULE, change, changeBy, changeRule } from './change.js';

describe('comparison change', () => {
  it('is the percent change, to 1 decimal', () => {
    expect(change('pageviews', 3, 2)).toBe(50);
    expect(change('visitors', 1, 3)).toBe(-66.7);
    expect(change('visit_duration', 10, 10)).toBe(0);
  });

  it('from 0: 0 when still 0, null (no percentage exists) otherwise', () => {
    expect(change('pageviews', 0, 0)).toBe(0);
    expect(change('revenue', 0, 0)).toBe(0);
    expect(change('pageviews', 2, 0)).toBeNull();
  });

  it('is a difference in points, to 2 decimals, for bounce_rate and conversion_rate, from 0 too', () => {
    expect(change('bounce_rate', 50, 0)).toBe(50);
    expect(change('conversion_rate', 33.333, 0)).toBe(33.33);
    expect(change('conversion_rate', 0, 0)).toBe(0);
    expect(change('bounce_rate', 25, 75)).toBe(-50);
  });
});

describe('changeBy', () => {
  it('tells a change as a percent or in points, as change() does for a metric of that kind', () => {
    expect(changeBy('percent', 3, 2)).toBe(change('pageviews', 3, 2));
    expect(changeBy('percent', 2, 0)).toBeNull();
    expect(changeBy('percent', 0, 0)).toBe(0);
    expect(changeBy('points', 37.5, 40)).toBe(change('conversion_rate', 37.5, 40));
    expect(changeBy('points', 66.67, 50)).toBe(16.67);
  });

  it('words the rule with the fields that are percentages', () => {
    expect(CHANGE_RULE).toBe(changeRule('bounce_rate and conversion_rate'));
    expect(changeRule('a and b')).toContain('or for a and b the difference in percentage points');
  });
});
