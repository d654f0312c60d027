import { LRUCache } from 'lru-cache';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

/**
 * Token buckets per write key, counted in events. Buckets of idle keys fall out
 * of the LRU; a key that comes back starts with a full bucket, which only errs
 * towards letting traffic through. Each process keeps its own; `charge`, fed by a
 * UsageShare (@pulse/protocol/usage-share), spends what the other processes let
 * through, so the limit holds for all of them together, about one share interval late.
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    maxKeys: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.buckets = new LRUCache({ max: maxKeys });
  }

  get enabled(): boolean {
    return this.ratePerSec > 0;
  }

  /** The key's bucket, refilled up to now. */
  private refilled(key: string): Bucket {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, updatedAt: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.updatedAt) / 1000) * this.ratePerSec);
      b.updatedAt = now;
    }
    return b;
  }

  /**
   * Spends `events` that another process let through. A bucket may go below zero (to minus the
   * burst at most), so that processes which let a key through at the same moment make it wait
   * until the shared rate has paid for them.
   */
  charge(key: string, events: number): void {
    if (!this.enabled) return;
    const b = this.refilled(key);
    b.tokens = Math.max(-this.burst, b.tokens - events);
  }

  take(key: string, cost: number): RateDecision {
    if (!this.enabled) return { ok: true };
    const b = this.refilled(key);
    // A batch larger than the burst could never pass; charge it the whole bucket instead.
    const need = Math.min(Math.max(cost, 1), this.burst);
    if (b.tokens >= need) {
      b.tokens -= need;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((need - b.tokens) / this.ratePerSec)) };
  }
}
