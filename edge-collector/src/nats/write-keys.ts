import { LRUCache } from 'lru-cache';
import { KvWatchInclude, type KV, type KvEntry, type QueuedIterator } from 'nats';
import { decodeRecord, type WriteKeyRecord } from '@pulse/protocol';
import { KeyLookupError } from '../errors.js';
import type { CollectorMetrics, Tally } from '../core/metrics.js';
import type { Logger, WriteKeyLookup } from '../core/types.js';

export interface WriteKeyCacheOptions {
  max: number;
  positiveTtlMs: number;
  negativeTtlMs: number;
}

interface Cached {
  record: WriteKeyRecord | null;
}

interface Pending {
  promise: Promise<WriteKeyRecord | undefined>;
  /** A watch event for this key arrived while the lookup ran: its answer may be stale. */
  invalidated: boolean;
}

function validRecord(r: unknown): r is WriteKeyRecord {
  const o = r as Partial<WriteKeyRecord> | null;
  return !!o && typeof o === 'object' && typeof o.site_id === 'string' && o.site_id.length > 0;
}

/**
 * Write keys from the PULSE_WRITE_KEYS bucket, looked up on demand (a collector
 * never loads the whole registry, which may hold millions of keys) and cached.
 * An updates-only KV watch keeps cached answers current: a delete (revocation)
 * reaches every collector within milliseconds. After the watch is re-opened
 * (reconnect) the cache is cleared, since deletes during the gap were not seen.
 */
export class WriteKeyCache implements WriteKeyLookup {
  private readonly cache: LRUCache<string, Cached>;
  private readonly pending = new Map<string, Pending>();
  private watcher: QueuedIterator<KvEntry> | undefined;
  private watching = false;
  private stopped = false;
  private generation = 0;
  // Tallies (see metrics.ts): every request bumps one of them.
  private readonly hits: Tally | undefined;
  private readonly negativeHits: Tally | undefined;
  private readonly misses: Tally | undefined;

  constructor(
    private readonly kv: KV,
    private readonly o: WriteKeyCacheOptions,
    private readonly log: Logger,
    private readonly metrics?: CollectorMetrics,
  ) {
    this.cache = new LRUCache<string, Cached>({ max: o.max, ttl: o.positiveTtlMs, ttlAutopurge: false });
    this.hits = metrics?.tally(metrics.keyLookups, { result: 'hit' });
    this.negativeHits = metrics?.tally(metrics.keyLookups, { result: 'negative_hit' });
    this.misses = metrics?.tally(metrics.keyLookups, { result: 'miss' });
  }

  /** True while the watch is live; without it revocations could be missed. */
  get live(): boolean {
    return this.watching;
  }

  get size(): number {
    return this.cache.size;
  }

  async start(): Promise<void> {
    await this.rewatch();
  }

  /** Re-opens the watch and forgets every cached answer. Called after each reconnect. */
  async rewatch(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    this.watching = false;
    this.watcher?.stop();
    const it = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    if (this.stopped || gen !== this.generation) {
      it.stop();
      return;
    }
    this.watcher = it;
    this.cache.clear();
    for (const p of this.pending.values()) p.invalidated = true;
    this.watching = true;
    void this.consume(it, gen);
  }

  /** NATS is gone: cached answers can no longer be kept current, so none are given until rewatch(). */
  suspend(): void {
    this.generation++;
    this.watching = false;
    this.watcher?.stop();
    this.watcher = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.watching = false;
    this.watcher?.stop();
  }

  private async consume(it: QueuedIterator<KvEntry>, gen: number): Promise<void> {
    try {
      for await (const e of it) this.apply(e);
    } catch (e) {
      this.log('warn', 'write key watch failed', { err: String(e) });
    }
    if (gen !== this.generation || this.stopped) return;
    this.watching = false;
    // The watch ended on its own: keep retrying so revocations keep flowing.
    const retry = async (): Promise<void> => {
      if (this.stopped || gen !== this.generation) return;
      try {
        await this.rewatch();
      } catch (e) {
        this.log('warn', 'write key watch could not be re-opened', { err: String(e) });
        setTimeout(() => void retry(), 500);
      }
    };
    setTimeout(() => void retry(), 100);
  }

  private apply(e: KvEntry): void {
    const p = this.pending.get(e.key);
    if (p) p.invalidated = true;
    if (e.operation === 'DEL' || e.operation === 'PURGE') {
      this.cache.set(e.key, { record: null }, { ttl: this.o.negativeTtlMs });
      return;
    }
    if (!this.cache.has(e.key)) return;
    const record = this.decode(e);
    if (record) this.cache.set(e.key, { record });
    else this.cache.set(e.key, { record: null }, { ttl: this.o.negativeTtlMs });
  }

  private decode(e: KvEntry): WriteKeyRecord | undefined {
    try {
      const r = decodeRecord<unknown>(e.value);
      if (validRecord(r)) return r;
    } catch {
      // fall through
    }
    this.log('warn', 'malformed write key record', { key: e.key.slice(0, 8) });
    return undefined;
  }

  lookup(key: string): Promise<WriteKeyRecord | undefined> {
    if (!this.watching) return Promise.reject(new KeyLookupError('the write key watch is not live'));
    const hit = this.cache.get(key);
    if (hit) {
      const t = hit.record ? this.hits : this.negativeHits;
      if (t) t.value++;
      return Promise.resolve(hit.record ?? undefined);
    }
    const inflight = this.pending.get(key);
    if (inflight) return inflight.promise;
    if (this.misses) this.misses.value++;
    const entry: Pending = { promise: Promise.resolve(undefined), invalidated: false };
    entry.promise = this.fetch(key, entry).finally(() => this.pending.delete(key));
    this.pending.set(key, entry);
    return entry.promise;
  }

  private async fetch(key: string, p: Pending): Promise<WriteKeyRecord | undefined> {
    let e: KvEntry | null;
    try {
      e = await this.kv.get(key);
    } catch (cause) {
      throw new KeyLookupError(`write key lookup failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    const record = e && e.operation === 'PUT' ? this.decode(e) : undefined;
    if (!p.invalidated) {
      if (record) this.cache.set(key, { record });
      else this.cache.set(key, { record: null }, { ttl: this.o.negativeTtlMs });
    } else if (record) {
      // A watch event raced this read; ask once more rather than trust either.
      const again = await this.kv.get(key).catch(() => null);
      return again && again.operation === 'PUT' ? this.decode(again) : undefined;
    }
    return record;
  }
}
