import { describe, expect, it } from 'vitest';
import { perSecond, percentile, summarize } from './stats.js';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile(xs, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('is NaN without samples', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summarize', () => {
  it('sorts before ranking and keeps count, mean and max', () => {
    const s = summarize([30, 10, 20, 40]);
    expect(s).toEqual({ n: 4, p50: 20, p99: 40, mean: 25, max: 40 });
  });

  it('one slow outlier in a hundred shows at p99, not at p50', () => {
    const s = summarize([...Array.from({ length: 99 }, () => 5), 900]);
    expect(s.p50).toBe(5);
    expect(s.p99).toBe(5);
    expect(summarize([...Array.from({ length: 98 }, () => 5), 900, 900]).p99).toBe(900);
  });
});

describe('perSecond', () => {
  it('scales a count over milliseconds', () => {
    expect(perSecond(5000, 2500)).toBe(2000);
    expect(perSecond(1, 0)).toBeNaN();
  });
});
