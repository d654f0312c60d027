import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('lets a burst through, then refills at the rate, per key', () => {
    let now = 0;
    const l = new RateLimiter(10, 20, 100, () => now);
    expect(l.take('a', 15).ok).toBe(true);
    expect(l.take('a', 5).ok).toBe(true);
    const refused = l.take('a', 5);
    expect(refused).toEqual({ ok: false, retryAfterSec: 1 });
    expect(l.take('b', 20).ok).toBe(true);
    now += 500; // +5 tokens
    expect(l.take('a', 5).ok).toBe(true);
    expect(l.take('a', 1).ok).toBe(false);
  });

  it('charges a batch larger than the burst the whole bucket instead of refusing it forever', () => {
    let now = 0;
    const l = new RateLimiter(10, 20, 100, () => now);
    expect(l.take('a', 500).ok).toBe(true);
    const r = l.take('a', 500);
    expect(r).toEqual({ ok: false, retryAfterSec: 2 });
    now += 2_000;
    expect(l.take('a', 500).ok).toBe(true);
  });

  it("spends other processes' events, into debt down to minus the burst, which the rate then pays off", () => {
    let now = 0;
    const l = new RateLimiter(10, 20, 100, () => now);
    l.charge('a', 15);
    expect(l.take('a', 5).ok).toBe(true);
    expect(l.take('a', 1).ok).toBe(false);
    l.charge('a', 100);
    // 20 below zero at most: 3 s until 10 events pass (not 11 s).
    expect(l.take('a', 10)).toEqual({ ok: false, retryAfterSec: 3 });
    now += 2_900;
    expect(l.take('a', 10).ok).toBe(false);
    now += 100;
    expect(l.take('a', 10).ok).toBe(true);
    expect(l.take('b', 20).ok).toBe(true);
  });

  it('is off at rate 0', () => {
    const l = new RateLimiter(0, 0, 1);
    for (let i = 0; i < 100; i++) expect(l.take('a', 1_000).ok).toBe(true);
  });
});
