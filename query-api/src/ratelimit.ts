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

/**
 * Token buckets per key. Each instance keeps its own; with `charge` fed by a UsageShare
 * (@pulse/protocol/usage-share) every instance also spends what the others' answers cost, so the
 * limit holds for all of them together, about one share interval late.
 */
export class RateLimiter {
  private readonly buckets = new LRUCache<string, Bucket>({ max: 200_000 });
  constructor(private readonly opts: RateLimitOptions) {}

  /**
   * Spends `amount` that another instance let through. A bucket may go below zero (to minus the
   * burst at most), so that instances which let a key through at the same moment make it wait
   * until the shared rate has paid for them.
   */
  charge(key: string, amount: number, nowMs: number): void {
    const { perSecond, burst } = this.opts;
    const prev = this.buckets.get(key);
    const tokens = prev ? Math.min(burst, prev.tokens + ((nowMs - prev.at) / 1000) * perSecond) : burst;
    this.buckets.set(key, { tokens: Math.max(-burst, tokens - amount), at: nowMs });
  }

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
        'x-ratelimit-remaining': String(Math.max(0, Math.floor(left))),
        'x-ratelimit-reset': String(Math.ceil((burst - left) / perSecond)),
      },
    };
  }
}
