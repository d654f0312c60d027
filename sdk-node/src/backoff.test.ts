import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, retryDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the minimum, with at most half of it random', () => {
    expect(backoffDelay(1, 200, 30_000, () => 0)).toBe(100);
    expect(backoffDelay(1, 200, 30_000, () => 1)).toBe(200);
    expect(backoffDelay(4, 200, 30_000, () => 0)).toBe(800);
    expect(backoffDelay(4, 200, 30_000, () => 1)).toBe(1600);
  });
  it('is capped', () => {
    expect(backoffDelay(40, 200, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(40, 200, 30_000, () => 0)).toBe(15_000);
  });
  it('spreads clients out', () => {
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(5, 200, 30_000)));
    expect(seen.size).toBeGreaterThan(10);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 1.5 ')).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
  });
});

describe('retryDelay', () => {
  const opts = { backoffMinMs: 200, backoffMaxMs: 30_000, maxRetryAfterMs: 60_000 };
  it('waits at least what the server asked', () => {
    expect(retryDelay(1, 2000, opts, () => 1)).toBe(2000);
  });
  it('never comes back sooner than the backoff', () => {
    expect(retryDelay(6, 10, opts, () => 0)).toBe(3200);
  });
  it('caps an absurd Retry-After', () => {
    expect(retryDelay(1, 86_400_000, opts, () => 0)).toBe(60_000);
  });
});
