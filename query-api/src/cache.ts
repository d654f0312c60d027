import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface CacheOptions {
  maxEntries: number;
  /** TTL of answers whose range reaches into the last `liveWindowMs` (data may still arrive). */
  liveTtlMs: number;
  /** TTL of answers over closed ranges; only a replay changes them (and clears the cache). */
  closedTtlMs: number;
  liveWindowMs: number;
}

/** An answer kept as the exact bytes sent: a hit is written as is, without encoding it again. */
export class CachedAnswer {
  readonly bytes: Buffer;
  readonly etag: string;

  constructor(body: string) {
    this.bytes = Buffer.from(body, 'utf8');
    this.etag = etagOf(body);
  }

  get body(): string {
    return this.bytes.toString('utf8');
  }
}

export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/** `If-None-Match` may list several tags or `*`; weak tags compare equal to strong ones here. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Whole JSON answers keyed by the normalised query; the byte-identical body keeps ETags stable. */
export class AnswerCache {
  private readonly lru: LRUCache<string, CachedAnswer>;
  hits = 0;
  misses = 0;

  constructor(private readonly opts: CacheOptions) {
    this.lru = new LRUCache({ max: opts.maxEntries, ttlAutopurge: false, allowStale: false });
  }

  get(key: string): CachedAnswer | undefined {
    const v = this.lru.get(key);
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  /**
   * `completeThroughMs`: the freshness of the numbers; a range ending after it may still grow
   * (the aggregator is behind), so it gets the short TTL however old the range is.
   */
  set(key: string, body: string, rangeEndMs: number, nowMs: number, completeThroughMs?: number): CachedAnswer {
    const answer = new CachedAnswer(body);
    const live = rangeEndMs > nowMs - this.opts.liveWindowMs || (completeThroughMs !== undefined && rangeEndMs > completeThroughMs);
    this.lru.set(key, answer, { ttl: live ? this.opts.liveTtlMs : this.opts.closedTtlMs });
    return answer;
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}
