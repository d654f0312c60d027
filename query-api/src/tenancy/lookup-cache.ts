import type { KV, KvEntry } from 'nats';
import { LRUCache } from 'lru-cache';
import { KeyStoreUnavailableError, isNatsUnavailable } from '../errors.js';
import { within } from '@pulse/protocol';
import type { KeyStoreHealth } from './key-store-health.js';
import { holdsRecord } from './kv-record.js';

/** How long after it was last confirmed a record may still be answered from while NATS is out of reach. */
export const DEFAULT_TENANCY_STALE_MAX_MS = 10 * 60_000;
/**
 * How long a lookup that has a last known good record to fall back on waits for NATS (a `get`
 * takes ~1 ms; without this bound every such request would wait for the KV's own 2 s timeout).
 */
export const DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS = 500;
/** Entries each cache keeps (fresh answers, and last known good records). */
export const DEFAULT_TENANCY_CACHE_ENTRIES = 100_000;

/** A lookup's answer: `stale` when NATS did not answer and the last known good record did. */
export interface Lookup<T> {
  record: T | null;
  stale: boolean;
}

export interface LookupCacheOptions<T> {
  kv: KV;
  /** The record of a live entry (`null` when it is unusable). */
  decode: (entry: KvEntry) => T | null;
  /** How long an answer from KV is trusted as it is: bounds how late a missed revocation takes effect. */
  ttlMs: number;
  staleMaxMs: number;
  lookupTimeoutMs: number;
  health: KeyStoreHealth;
  max?: number;
  /** Monotonic ms (tests move it). */
  now?: () => number;
}

interface LastGood<T> {
  record: T;
  revision: number;
  confirmedAt: number;
}

interface Pending<T> {
  promise: Promise<T | null>;
  /**
   * The newest revision a change of this key reported while the `get` ran (Infinity: revoked here):
   * the `get`'s answer is kept only if it is at least as new.
   */
  seen: number;
}

/**
 * Lookups of one KV bucket (read keys, sites): fresh answers for `ttlMs`, then a `get` (one at a
 * time per key). Records that existed when last read are also kept as "last known good": when a
 * `get` fails because NATS is out of reach, a record confirmed within `staleMaxMs` answers
 * (stale-if-error). Only existing records are kept, so a key nobody confirmed, or one confirmed
 * missing or revoked, gets 503 then, never 200 or 401. `applyChange` (fed by a watch of the
 * bucket) drops deleted records and updates changed ones the moment NATS reports them, so a key
 * revoked before an outage is never answered from an older record.
 */
export class LookupCache<T> {
  private readonly fresh: LRUCache<string, { record: T | null }>;
  private readonly good: LRUCache<string, LastGood<T>>;
  private readonly pending = new Map<string, Pending<T>>();
  private readonly now: () => number;

  constructor(private readonly o: LookupCacheOptions<T>) {
    const max = o.max ?? DEFAULT_TENANCY_CACHE_ENTRIES;
    this.now = o.now ?? (() => performance.now());
    this.fresh = new LRUCache({ max, ttl: o.ttlMs });
    this.good = new LRUCache({ max });
  }

  async lookup(key: string): Promise<Lookup<T>> {
    const hit = this.fresh.get(key);
    if (hit) return { record: hit.record, stale: false };
    if (this.o.health.degraded) {
      const good = this.lastGood(key);
      if (good) {
        // NATS failed a moment ago: answer at once, and let this key's own `get` find out whether it is back.
        this.load(key).catch(() => undefined);
        return { record: good.record, stale: true };
      }
    }
    const loading = this.load(key);
    // With nothing to fall back on and NATS answering so far, wait for the KV's own timeout.
    const bounded = this.o.health.degraded || this.lastGood(key) !== undefined;
    try {
      const record = await (bounded ? within(loading, this.o.lookupTimeoutMs, () => new KeyStoreUnavailableError()) : loading);
      return { record, stale: false };
    } catch (err) {
      if (!isNatsUnavailable(err)) throw err;
      this.o.health.failed(err);
      // Asked again: a watch event may have dropped it while we waited.
      const good = this.lastGood(key);
      if (!good) throw err instanceof KeyStoreUnavailableError ? err : new KeyStoreUnavailableError({ cause: err });
      return { record: good.record, stale: true };
    }
  }

  /** What a `get` (or a write of this service) found at `revision`. */
  remember(key: string, record: T | null, revision: number): void {
    this.fresh.set(key, { record });
    if (record === null) this.good.delete(key);
    else this.good.set(key, { record, revision, confirmedAt: this.now() });
  }

  /** The key is gone (revoked here): no answer is given from any cached record of it. */
  forget(key: string): void {
    const p = this.pending.get(key);
    if (p) p.seen = Infinity;
    this.fresh.set(key, { record: null });
    this.good.delete(key);
  }

  /**
   * A change the bucket's watch reported. Keys this cache holds nothing of and nobody is looking up
   * are left alone. A key being looked up takes the change: its `get` may have read before it (a
   * key created a moment before its first lookup, whose watch event overtakes the `get`'s answer),
   * and dropping both would leave nothing to answer from in an outage.
   */
  applyChange(e: KvEntry): void {
    const p = this.pending.get(e.key);
    if (p) p.seen = Math.max(p.seen, e.revision);
    const held = this.good.peek(e.key);
    if (held && held.revision > e.revision) return;
    if (!held && !this.fresh.has(e.key) && !p) return;
    const record = holdsRecord(e) ? this.decodeOrNull(e) : null;
    this.remember(e.key, record, e.revision);
  }

  private lastGood(key: string): LastGood<T> | undefined {
    const g = this.good.get(key);
    if (!g) return undefined;
    if (this.now() - g.confirmedAt > this.o.staleMaxMs) {
      this.good.delete(key);
      return undefined;
    }
    return g;
  }

  private load(key: string): Promise<T | null> {
    const inflight = this.pending.get(key);
    if (inflight) return inflight.promise;
    const p: Pending<T> = { promise: Promise.resolve(null), seen: 0 };
    p.promise = this.o.kv
      .get(key)
      .then(
        (e) => {
          this.o.health.succeeded();
          const record = holdsRecord(e) ? this.decodeOrNull(e) : null;
          const revision = e?.revision ?? 0;
          // Older than a change the watch reported meanwhile (kept by applyChange): not kept.
          if (revision >= p.seen) this.remember(key, record, revision);
          return record;
        },
        (err: unknown) => {
          if (isNatsUnavailable(err)) this.o.health.failed(err);
          throw err;
        },
      )
      .finally(() => this.pending.delete(key));
    // Callers that stopped waiting (timeout, background refresh) must not leave it unhandled.
    p.promise.catch(() => undefined);
    this.pending.set(key, p);
    return p.promise;
  }

  private decodeOrNull(e: KvEntry): T | null {
    try {
      return this.o.decode(e);
    } catch {
      return null;
    }
  }
}
