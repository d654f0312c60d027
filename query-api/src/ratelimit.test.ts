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
