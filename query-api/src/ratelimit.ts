import { LRUCache } from 'lru-cache';

export interface RateLimitOptions {
  /** Sustained requests a second per key. */
  perSecond: number;
  /** Requests a key may make at once after being idle. */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Whole seconds until one request is allowed again (0 when allowed). */
  retryAfter: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets per key, in memory of this instance (N instances allow N times the rate). */
export class RateLimiter {
  private readonly buckets = new LRUCache<string, Bucket>({ max: 200_000 });
  constructor(private readonly opts: RateLimitOptions) {}

  take(key: string, nowMs: number): RateDecision {
    const { perSecond, burst } = this.opts;
    const prev = this.buckets.get(key);
    const tokens = prev ? Math.min(burst, prev.tokens + ((nowMs - prev.at) / 1000) * perSecond) : burst;
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.buckets.set(key, { tokens: left, at: nowMs });
    const retryAfter = allowed ? 0 : Math.max(1, Math.ceil((1 - left) / perSecond));
    return {
      allowed,
      retryAfter,
      headers: {
        'x-ratelimit-limit': String(burst),
        'x-ratelimit-remaining': String(Math.floor(left)),
        'x-ratelimit-reset': String(Math.ceil((burst - left) / perSecond)),
      },
    };
  }
}
