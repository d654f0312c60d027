import { ErrorCode, NatsError, type KV, type KvEntry } from 'nats';
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../log.js';
import { KeyStoreUnavailableError } from '../errors.js';
import { KeyStoreHealth } from './key-store-health.js';
import { LookupCache } from './lookup-cache.js';

const STALE_MAX_MS = 60_000;
const LOOKUP_TIMEOUT_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bucket whose `get` answers, fails as an unreachable NATS does, or hangs as a frozen one does. */
function setup(logger: Logger = silentLogger) {
  const values = new Map<string, { value: string; revision: number } | 'deleted'>();
  let revision = 0;
  let mode: 'up' | 'down' | 'frozen' | 'broken' = 'up';
  let gets = 0;
  const entry = (key: string): KvEntry | null => {
    const v = values.get(key);
    if (!v) return null;
    if (v === 'deleted') return { key, operation: 'DEL', length: 0, revision, value: new Uint8Array() } as unknown as KvEntry;
    return { key, operation: 'PUT', length: v.value.length, revision: v.revision, value: new TextEncoder().encode(v.value) } as unknown as KvEntry;
  };
  const kv = {
    get: async (key: string) => {
      gets++;
      if (mode === 'down') throw new NatsError('TIMEOUT', ErrorCode.Timeout);
      if (mode === 'broken') throw new Error('decoder exploded');
      if (mode === 'frozen') return new Promise(() => undefined);
      return entry(key);
    },
  } as unknown as KV;
  let now = 1_000;
  const health = new KeyStoreHealth({ log: logger, staleMaxMs: STALE_MAX_MS });
  const cache = new LookupCache<string>({
    kv,
    decode: (e) => new TextDecoder().decode(e.value),
    ttlMs: 1,
    staleMaxMs: STALE_MAX_MS,
    lookupTimeoutMs: LOOKUP_TIMEOUT_MS,
    health,
    now: () => now,
  });
  return {
    cache,
    health,
    put(key: string, value: string) {
      values.set(key, { value, revision: ++revision });
      return entry(key) as KvEntry;
    },
    del(key: string) {
      revision++;
      values.set(key, 'deleted');
      return entry(key) as KvEntry;
    },
    set mode(m: typeof mode) {
      mode = m;
    },
    advance: (ms: number) => (now += ms),
    gets: () => gets,
  };
}

/** The fresh answers live 1 ms: past it, every lookup asks the bucket (or falls back). */
const expire = () => sleep(5);

describe('LookupCache', () => {
  it('answers a confirmed record while NATS is out of reach, and says it is stale', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    expect(await s.cache.lookup('rk_a')).toEqual({ record: 'merchant-a', stale: false });
    await expire();
    s.mode = 'down';
    expect(await s.cache.lookup('rk_a')).toEqual({ record: 'merchant-a', stale: true });
    expect(s.health.degraded).toBe(true);
  });

  it('answers 503 for a key it never confirmed, and for one confirmed missing or revoked: never 200, never 401', async () => {
    const s = setup();
    s.put('rk_revoked', 'merchant-r');
    expect((await s.cache.lookup('rk_missing')).record).toBeNull();
    expect((await s.cache.lookup('rk_revoked')).record).toBe('merchant-r');
    s.del('rk_revoked');
    await expire();
    expect((await s.cache.lookup('rk_revoked')).record).toBeNull();
    await expire();
    s.mode = 'down';
    for (const key of ['rk_unseen', 'rk_missing', 'rk_revoked']) {
      await expect(s.cache.lookup(key)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    }
  });

  it('stops answering from a record once it was last confirmed more than staleMaxMs ago', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    await s.cache.lookup('rk_a');
    await expire();
    s.mode = 'down';
    s.advance(STALE_MAX_MS);
    expect((await s.cache.lookup('rk_a')).stale).toBe(true);
    s.advance(1);
    await expect(s.cache.lookup('rk_a')).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it('each confirmation restarts the bound', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    await s.cache.lookup('rk_a');
    s.advance(STALE_MAX_MS - 10);
    await expire();
    expect(await s.cache.lookup('rk_a')).toEqual({ record: 'merchant-a', stale: false });
    s.advance(STALE_MAX_MS - 10);
    await expire();
    s.mode = 'down';
    expect((await s.cache.lookup('rk_a')).stale).toBe(true);
  });

  it('forgets a record the watch reports deleted, so an outage cannot bring a revoked key back', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    await s.cache.lookup('rk_a');
    s.cache.applyChange(s.del('rk_a'));
    // Revoked at once, without waiting for the fresh answer to expire.
    expect((await s.cache.lookup('rk_a')).record).toBeNull();
    await expire();
    s.mode = 'down';
    await expect(s.cache.lookup('rk_a')).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it('keeps nothing a get read while a change of the same key arrived', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    const reading = s.cache.lookup('rk_a');
    s.cache.applyChange(s.del('rk_a'));
    await reading;
    await expire();
    s.mode = 'down';
    await expect(s.cache.lookup('rk_a')).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it('keeps a record the watch reports while its first get runs (a key created a moment before), for an outage', async () => {
    const s = setup();
    const created = s.put('rk_a', 'merchant-a');
    const reading = s.cache.lookup('rk_a');
    // The watch's event of the creation overtakes the get's answer.
    s.cache.applyChange(created);
    expect(await reading).toEqual({ record: 'merchant-a', stale: false });
    await expire();
    s.mode = 'down';
    expect(await s.cache.lookup('rk_a')).toEqual({ record: 'merchant-a', stale: true });
  });

  it('keeps the newer of a get and a change that crossed it, whichever came last', async () => {
    const s = setup();
    s.put('s_a', 'UTC');
    const reading = s.cache.lookup('s_a');
    const older = s.put('s_a', 'Europe/Berlin');
    const newer = s.put('s_a', 'Asia/Tokyo');
    s.cache.applyChange(newer);
    s.cache.applyChange(older);
    await reading;
    await expire();
    s.mode = 'down';
    expect(await s.cache.lookup('s_a')).toEqual({ record: 'Asia/Tokyo', stale: true });
  });

  it('takes changed records from the watch, ignores older revisions and keys it holds nothing of', async () => {
    const s = setup();
    s.put('s_a', 'Europe/Berlin');
    await s.cache.lookup('s_a');
    const older = s.put('s_a', 'UTC');
    s.cache.applyChange(s.put('s_a', 'Asia/Tokyo'));
    s.cache.applyChange(older);
    s.cache.applyChange(s.put('s_other', 'UTC'));
    await expire();
    s.mode = 'down';
    expect(await s.cache.lookup('s_a')).toEqual({ record: 'Asia/Tokyo', stale: true });
    await expect(s.cache.lookup('s_other')).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it('waits at most lookupTimeoutMs for a frozen NATS, then answers at once while it stays out of reach', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    await s.cache.lookup('rk_a');
    await expire();
    s.mode = 'frozen';
    let asked = performance.now();
    expect((await s.cache.lookup('rk_a')).stale).toBe(true);
    expect(performance.now() - asked).toBeGreaterThanOrEqual(LOOKUP_TIMEOUT_MS - 5);
    expect(s.health.degraded).toBe(true);
    asked = performance.now();
    expect((await s.cache.lookup('rk_a')).stale).toBe(true);
    expect(performance.now() - asked).toBeLessThan(LOOKUP_TIMEOUT_MS);
    // One get of the key in flight at a time, however many requests ask.
    const before = s.gets();
    await Promise.all([s.cache.lookup('rk_a'), s.cache.lookup('rk_a')]);
    expect(s.gets()).toBe(before);
  });

  it('is fresh again once a get answers, and a revocation then holds', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    await s.cache.lookup('rk_a');
    await expire();
    s.mode = 'down';
    expect((await s.cache.lookup('rk_a')).stale).toBe(true);
    s.mode = 'up';
    s.del('rk_a');
    // This answer is stale (given at once), its background get finds the key revoked.
    expect((await s.cache.lookup('rk_a')).stale).toBe(true);
    await sleep(5);
    expect(s.health.degraded).toBe(false);
    expect(await s.cache.lookup('rk_a')).toEqual({ record: null, stale: false });
  });

  it('passes on failures that are not NATS being out of reach', async () => {
    const s = setup();
    s.put('rk_a', 'merchant-a');
    await s.cache.lookup('rk_a');
    await expire();
    s.mode = 'broken';
    await expect(s.cache.lookup('rk_a')).rejects.toThrow('decoder exploded');
    expect(s.health.degraded).toBe(false);
  });

  it('logs one warning when lookups start failing, one line when they recover', async () => {
    const lines: [string, string][] = [];
    const s = setup({ log: (level, msg) => lines.push([level, msg]) });
    s.put('rk_a', 'merchant-a');
    s.put('rk_b', 'merchant-b');
    await s.cache.lookup('rk_a');
    await s.cache.lookup('rk_b');
    await expire();
    s.mode = 'down';
    for (let i = 0; i < 3; i++) {
      await s.cache.lookup('rk_a');
      await s.cache.lookup('rk_b');
    }
    expect(lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    s.mode = 'up';
    await s.cache.lookup('rk_a');
    await sleep(5);
    expect(lines).toHaveLength(2);
    expect(lines[1]?.[0]).toBe('info');
  });
});
