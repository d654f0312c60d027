import { describe, expect, it } from 'vitest';
import { RateLimiter } from './ratelimit.js';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const rl = new RateLimiter({ perSecond: 2, burst: 3 });
    expect([0, 0, 0, 0].map(() => rl.take('k', 1000).allowed)).toEqual([true, true, true, false]);
    const denied = rl.take('k', 1000);
    expect(denied.retryAfter).toBe(1);
    expect(denied.headers['x-ratelimit-remaining']).toBe('0');
    expect(rl.take('k', 1500).allowed).toBe(true);
    expect(rl.take('k', 1500).allowed).toBe(false);
    expect(rl.take('other', 1500).allowed).toBe(true);
  });
});

describe('RateLimiter.charge', () => {
  it("spends other instances' use, into debt down to minus the burst, which the rate then pays off", () => {
    const rl = new RateLimiter({ perSecond: 2, burst: 4 });
    rl.charge('k', 3, 1000);
    expect(rl.take('k', 1000).allowed).toBe(true);
    expect(rl.take('k', 1000).allowed).toBe(false);
    // Ten more elsewhere: 4 below zero at most, so 2.5 s until one token (not 5.5).
    rl.charge('k', 10, 1000);
    const denied = rl.take('k', 1000);
    expect(denied.retryAfter).toBe(3);
    expect(denied.headers['x-ratelimit-remaining']).toBe('0');
    expect(rl.take('k', 3400).allowed).toBe(false);
    expect(rl.take('k', 3600).allowed).toBe(true);
    // Other keys are untouched.
    expect(rl.take('other', 1000).allowed).toBe(true);
  });
});
