import { randomBytes } from 'node:crypto';
import type { JetStreamClient, KV } from 'nats';
import { openBucket } from '@pulse/protocol/streams';
import { isKvConflict } from './kv-conflict.js';
import type { Storage } from './storage/types.js';

/**
 * The lock aggregators in separate processes hold around their dedup and insert (ARCHITECTURE.md,
 * step 4): without it, two batches holding copies of one client event, stored at once by two
 * processes, would both find it missing and both count it. One key in a KV bucket whose entries
 * expire: a holder renews its entry while it stores, so one that died frees the lock within the
 * lease. Within one process, `Storage.exclusive` already orders the stores.
 */
export const KV_STORE_LOCK = 'PULSE_STORE_LOCK';
const KEY = 'store';
/** How long a dead holder keeps the lock; a live one renews it every quarter of this. */
export const DEFAULT_STORE_LOCK_LEASE_MS = 20_000;
/** Waiting for a busy lock polls it, backing off from the first to the second. */
const POLL_MS = [1, 20] as const;

export type Release = () => Promise<void>;

export interface StoreLock {
  /**
   * Waits until the lock is this process's; resolves with its release. Rejects if NATS cannot be
   * reached (the caller retries).
   */
  acquire(): Promise<Release>;
  /** The lock's release if it was free, else undefined at once (another process holds it). */
  tryAcquire(): Promise<Release | undefined>;
}

/**
 * Runs `fn` when no other aggregator on this ClickHouse runs a section of its own: one of this
 * process on `storage` (`Storage.exclusive`), then, with a lock, one of any process. `acquire`
 * lets the caller wrap the lock's acquisition (in retries).
 */
export function storeExclusively<T>(
  storage: Storage,
  lock: StoreLock | undefined,
  fn: () => Promise<T>,
  acquire: (lock: StoreLock) => Promise<Release> = (l) => l.acquire(),
): Promise<T> {
  return storage.exclusive(async () => {
    const release = lock ? await acquire(lock) : undefined;
    try {
      return await fn();
    } finally {
      await release?.();
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StoreLockOptions {
  /** Replicas of the KV bucket (the stream's). */
  replicas?: number;
  /** The bucket's TTL, set when it is created. */
  leaseMs?: number;
}

export function natsStoreLock(js: JetStreamClient, opts: StoreLockOptions = {}): Promise<StoreLock> {
  return natsLock(js, KEY, opts);
}

/**
 * A lock named `key` in the same bucket, for other work one process at a time does (the archive
 * scrub: archive-scrub.ts). The bucket's TTL is the lease, whoever created it.
 */
export async function natsLock(js: JetStreamClient, key: string, opts: StoreLockOptions = {}): Promise<StoreLock> {
  const leaseMs = opts.leaseMs ?? DEFAULT_STORE_LOCK_LEASE_MS;
  const kv = await openBucket(js, KV_STORE_LOCK, { history: 1, ttl: leaseMs, replicas: opts.replicas ?? 1 });
  const holder = new TextEncoder().encode(`agg_${randomBytes(8).toString('hex')}`);

  async function attempt(): Promise<number | undefined> {
    try {
      return await kv.create(key, holder);
    } catch (err) {
      if (!isKvConflict(err)) throw err;
      return undefined;
    }
  }

  async function take(): Promise<number> {
    let wait: number = POLL_MS[0];
    for (;;) {
      const revision = await attempt();
      if (revision !== undefined) return revision;
      await sleep(wait);
      wait = Math.min(wait * 2, POLL_MS[1]);
    }
  }

  function held(first: number): Release {
    let revision = first;
    // One renewal at a time, and the release waits for it: a release naming a revision that a
    // renewal just replaced would fail and leave the lock held until the lease ran out.
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(() =>
        kv.update(key, holder, revision).then(
          (r) => void (revision = r),
          () => undefined,
        ),
      );
    }, leaseMs / 4);
    return async () => {
      clearInterval(timer);
      await renewing;
      // Lost (the lease ran out and another holder took it): nothing of ours to release.
      await kv.delete(key, { previousSeq: revision }).catch(() => undefined);
    };
  }

  return {
    acquire: async () => held(await take()),
    async tryAcquire() {
      const revision = await attempt();
      return revision === undefined ? undefined : held(revision);
    },
  };
}
