import { createHash } from 'node:crypto';
import type { KV, KvEntry } from 'nats';
import { decodeRecord, encodeRecord, within, type WriteKeyRecord } from '@pulse/protocol';
import { TooManyWriteKeysError, UnavailableError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { catchUp, type CatchUpResult } from './catch-up.js';
import { SyncPointStore } from './sync-point.js';
import { holdsRecord } from './kv-record.js';
import { WorkQueue } from './work-queue.js';
import { WriteKeyOwners } from './write-key-owners.js';

/**
 * Index of each site's write keys, owned by the query API: key `<site_id>`, value {@link SiteKeys}.
 * `PULSE_WRITE_KEYS` is keyed by the secret itself (the collectors look keys up by it), so without
 * this index listing one site's keys would read every key of every site. One record per site, read
 * with one `get`: a filtered read of a bucket (a key per site key, `<site_id>.>`) costs a walk over
 * the whole bucket on nats-server 2.9 (~0.2–0.4 s at 200,000 entries), a `get` ~1 ms at any size.
 */
export const KV_SITE_WRITE_KEYS = 'PULSE_SITE_WRITE_KEYS';
/**
 * Key (in the index bucket, never a site id) of the {@link SyncPointStore} point: how far the index
 * has read `PULSE_WRITE_KEYS`. `.v2` since keys also have owner entries: a point saved before them
 * (`sync.write_keys`) is not used, so the first start after the upgrade reads the bucket once more
 * and gives every stored key its owner entry.
 */
export const SYNC_KEY = 'sync.write_keys.v2';
/** Deletions the bucket's watch reported, applied at once at most. */
const DELETION_WORKERS = 16;
/** Keys a site's record holds, live or revoked (~80 bytes each); the oldest revoked make room first. */
export const MAX_WRITE_KEYS_PER_SITE = 2_000;
/** KV requests in flight at once while listing or catching up. */
const PARALLEL = 256;
const CAS_ATTEMPTS = 10;
/** How long a request waits for a catch-up (the first after an upgrade may take minutes) before a 503. */
const CATCH_UP_WAIT_MS = 10_000;

/** Not secret: the first 16 hex digits of the key's SHA-256, which names it in listings and revocations. */
export const WRITE_KEY_ID = /^wkid_[0-9a-f]{16}$/;
export const writeKeyId = (key: string): string => `wkid_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
/** What a listing shows of the key itself: `wk_` and 5 of its 32 random characters. */
export const writeKeyPrefix = (key: string): string => key.slice(0, 8);

interface IndexedKey {
  /** The whole key: needed to revoke it by its id. The bucket is as private as PULSE_WRITE_KEYS. */
  key: string;
  created_at: number;
  revoked_at?: number;
}

/** A key as a catch-up read it from PULSE_WRITE_KEYS: `stored_at` is when that record was written. */
interface StoredKey extends IndexedKey {
  stored_at: number;
}

/** A site's keys, oldest first. */
interface SiteKeys {
  keys: IndexedKey[];
}

/** One key of a site as the admin API lists it. */
export interface WriteKeyInfo {
  key_id: string;
  key_prefix: string;
  created_at: number;
  revoked: boolean;
  revoked_at: number | null;
}

/** `fn` over every item, PARALLEL at a time: a slow request holds up one worker, not a whole batch. */
async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

const byAge = (a: IndexedKey, b: IndexedKey): number => a.created_at - b.created_at || a.key.localeCompare(b.key);

/** Adds keys to a site's list; the oldest revoked ones are forgotten when it would grow past the limit. */
function withKeys(siteId: string, current: IndexedKey[], added: IndexedKey[]): IndexedKey[] {
  const known = new Set(current.map((k) => k.key));
  const next = [...current, ...added.filter((k) => !known.has(k.key))].sort(byAge);
  for (let excess = next.length - MAX_WRITE_KEYS_PER_SITE; excess > 0; excess--) {
    const oldestRevoked = next.findIndex((k) => k.revoked_at !== undefined);
    if (oldestRevoked < 0) throw new TooManyWriteKeysError(siteId, MAX_WRITE_KEYS_PER_SITE);
    next.splice(oldestRevoked, 1);
  }
  return next;
}

export interface WriteKeyIndexOptions {
  /** `PULSE_SITE_WRITE_KEYS`: the index, its sync point and the keys' owner entries. */
  index: KV;
  /** `PULSE_WRITE_KEYS`: the keys themselves, keyed by the secret. */
  writeKeys: KV;
  log?: Logger;
}

/**
 * A key in the index is live until it is marked revoked: by the admin API's revocation, or, for a
 * delete or purge made in PULSE_WRITE_KEYS by anyone else (`nats kv del`), by {@link deleted} (the
 * bucket's watch, while an instance runs) or the catch-up (the deletes made while none ran). Live
 * keys count against the site's {@link MAX_WRITE_KEYS_PER_SITE}; revoked ones make room.
 */
export class WriteKeyIndex {
  private catching: Promise<CatchUpResult> | undefined;
  private readonly index: KV;
  private readonly writeKeys: KV;
  private readonly sync: SyncPointStore;
  private readonly owners: WriteKeyOwners;
  private readonly deletions: WorkQueue<{ key: string; at: number }>;

  constructor(o: WriteKeyIndexOptions) {
    this.index = o.index;
    this.writeKeys = o.writeKeys;
    this.sync = new SyncPointStore({ kv: o.index, key: SYNC_KEY });
    this.owners = new WriteKeyOwners(o.index);
    const log = o.log ?? silentLogger;
    this.deletions = new WorkQueue(
      (d) => this.applyDeletion(d.key, d.at),
      DELETION_WORKERS,
      (err) => log.log('warn', 'a write key deleted in PULSE_WRITE_KEYS is still live in the index; the next catch-up takes it out', { err }),
    );
  }

  /**
   * Written before the key itself, so a stored key always has its entry (a failed issue removes it
   * again); its owner entry first of all, so a delete never meets a live entry it cannot find.
   */
  async add(siteId: string, key: string, createdAt: number): Promise<void> {
    await this.owners.set(key, siteId);
    await this.change(siteId, (keys) => withKeys(siteId, keys, [{ key, created_at: createdAt }]));
  }

  async remove(siteId: string, key: string): Promise<void> {
    await this.change(siteId, (keys) => (keys.some((k) => k.key === key) ? keys.filter((k) => k.key !== key) : null));
    await this.owners.forget(key).catch(() => undefined);
  }

  /** After the key left PULSE_WRITE_KEYS (revocation is final: a key is never issued twice). */
  async markRevoked(siteId: string, key: string, createdAt: number, revokedAt: number): Promise<void> {
    await this.change(siteId, (keys) =>
      keys.some((k) => k.key === key) ? revokedIn(keys, key, revokedAt) : withKeys(siteId, keys, [{ key, created_at: createdAt, revoked_at: revokedAt }]),
    );
    // No delete needs to find the site any more; left behind, the entry only costs its bytes.
    await this.owners.forget(key).catch(() => undefined);
  }

  /**
   * A delete or purge of `key` in PULSE_WRITE_KEYS at `at` (ms), reported by the bucket's watch:
   * marked revoked in the background. One that fails is applied by the next catch-up, since the
   * delete lies after the point every catch-up starts from until one has applied it.
   */
  deleted(key: string, at: number): void {
    this.deletions.push({ key, at });
  }

  /** The site's key with this id, revoked or not; null when the site has none. */
  async find(siteId: string, keyId: string): Promise<{ key: string; revoked: boolean } | null> {
    if (!WRITE_KEY_ID.test(keyId)) return null;
    await this.caughtUp();
    const found = (await this.read(siteId)).keys.find((k) => writeKeyId(k.key) === keyId);
    return found ? { key: found.key, revoked: found.revoked_at !== undefined } : null;
  }

  /**
   * The site's keys, oldest first: one `get` of its record, then one `get` per key the record holds
   * as live, so a revocation the index missed (another writer, or a failure between the two writes)
   * still shows: PULSE_WRITE_KEYS has the last word.
   */
  async list(siteId: string): Promise<WriteKeyInfo[]> {
    await this.caughtUp();
    const { keys } = await this.read(siteId);
    const out = new Map<IndexedKey, WriteKeyInfo>();
    await inParallel(keys, async (k) => {
      if (k.revoked_at !== undefined) {
        out.set(k, info(k, k.revoked_at));
        return;
      }
      const e = await this.writeKeys.get(k.key);
      // No entry at all: an issue that failed after its index entry was written; the key never worked.
      if (!e) return;
      if (holdsRecord(e)) {
        if (decodeRecord<WriteKeyRecord>(e.value).site_id === siteId) out.set(k, info(k, null));
      } else out.set(k, info(k, e.created.getTime()));
    });
    return keys.flatMap((k) => out.get(k) ?? []);
  }

  /**
   * Indexes the keys PULSE_WRITE_KEYS gained since the last catch-up of any instance: keys stored
   * before this index existed (a one-time pass over the bucket, begun at start), or by writers that
   * do not know it. Reads only the revisions after the saved point: a stream-info request and a
   * `get` when nothing is new. Concurrent calls share one run.
   */
  catchUp(): Promise<CatchUpResult> {
    this.catching ??= catchUp({ source: this.writeKeys, sync: this.sync, apply: (entries, o) => this.indexEntries(entries, o) }).finally(() => {
      this.catching = undefined;
    });
    return this.catching;
  }

  /** Waits for a catch-up, at most CATCH_UP_WAIT_MS; it goes on in the background after a 503. */
  private async caughtUp(): Promise<void> {
    await within(
      this.catchUp(),
      CATCH_UP_WAIT_MS,
      () => new UnavailableError('the write key index is still catching up with PULSE_WRITE_KEYS (the first start after an upgrade reads it all); retry shortly'),
    );
  }

  private async read(siteId: string): Promise<SiteKeys & { revision: number }> {
    const e = await this.index.get(siteId);
    if (!holdsRecord(e)) return { keys: [], revision: e?.revision ?? 0 };
    return { ...decodeRecord<SiteKeys>(e.value), revision: e.revision };
  }

  /**
   * Read, change, compare-and-set: concurrent writers (other instances) retry on each other's
   * revision. `fn` answers null when there is nothing to write. With `absent` (a site the index
   * most likely lacks) a create is tried first, which saves the read; it fails if the record exists.
   */
  private async change(siteId: string, fn: (keys: IndexedKey[]) => IndexedKey[] | null, o: { absent?: boolean } = {}): Promise<void> {
    if (o.absent) {
      const next = fn([]);
      if (!next) return;
      const created = await this.index.create(siteId, encodeRecord({ keys: next } satisfies SiteKeys)).then(
        () => true,
        // The record exists after all (or the create failed otherwise): the read-and-set below decides.
        () => false,
      );
      if (created) return;
    }
    for (let attempt = 1; ; attempt++) {
      const { keys, revision } = await this.read(siteId);
      const next = fn(keys);
      if (!next) return;
      const value = encodeRecord({ keys: next } satisfies SiteKeys);
      try {
        if (revision === 0) await this.index.create(siteId, value);
        else await this.index.update(siteId, value, revision);
        return;
      } catch (err) {
        if (attempt >= CAS_ATTEMPTS) throw err;
      }
    }
  }

  /** Marks the key revoked in its site's record, found through its owner entry (none: the index never held it live). */
  private async applyDeletion(key: string, at: number): Promise<void> {
    const siteId = await this.owners.siteOf(key);
    if (siteId === null) return;
    await this.change(siteId, (keys) => revokedIn(keys, key, at));
    await this.owners.forget(key);
  }

  /**
   * Stored keys the index lacks are added to their sites (each with its owner entry, so a later
   * delete finds it); deleted keys it holds live are marked revoked. A key stored and deleted
   * again in between cannot be placed (its record is gone) and never works again.
   */
  private async indexEntries(entries: KvEntry[], o: { full: boolean }): Promise<void> {
    // The last write of each key: a round that raced a delete may hold the key's put and its delete.
    const latest = new Map<string, KvEntry>();
    for (const e of entries) latest.set(e.key, e);
    const bySite = new Map<string, StoredKey[]>();
    const deletes: KvEntry[] = [];
    for (const e of latest.values()) {
      if (!holdsRecord(e)) {
        deletes.push(e);
        continue;
      }
      let rec: Partial<WriteKeyRecord>;
      try {
        rec = decodeRecord<Partial<WriteKeyRecord>>(e.value);
      } catch {
        continue;
      }
      if (typeof rec.site_id !== 'string' || !/^[0-9A-Za-z_-]{1,64}$/.test(rec.site_id)) continue;
      const list = bySite.get(rec.site_id) ?? [];
      list.push({ key: e.key, created_at: typeof rec.created_at === 'number' ? rec.created_at : e.created.getTime(), stored_at: e.created.getTime() });
      bySite.set(rec.site_id, list);
    }
    const stored = [...bySite].flatMap(([siteId, keys]) => keys.map((k) => ({ siteId, key: k.key })));
    await inParallel(stored, (k) => this.owners.set(k.key, k.siteId));
    await inParallel([...bySite], async ([siteId, added]) => {
      try {
        await this.change(
          siteId,
          (current) => {
            const held = new Map(current.map((k) => [k.key, k]));
            // Stored again after it was revoked (an operator undoing a `nats kv del`): it works, so it is live.
            const revived = new Set(added.filter((k) => (held.get(k.key)?.revoked_at ?? Infinity) <= k.stored_at).map((k) => k.key));
            const missing = added.filter((k) => !held.has(k.key)).map(({ key, created_at }) => ({ key, created_at }));
            if (revived.size === 0 && missing.length === 0) return null;
            const base = current.map((k) => (revived.has(k.key) ? { key: k.key, created_at: k.created_at } : k));
            return withKeys(siteId, base, missing);
          },
          // A later catch-up mostly meets keys this API indexed before storing them: reading first is cheaper.
          { absent: o.full },
        );
      } catch (err) {
        // A site given more live keys than a record holds, outside this API: those stay unlisted
        // (still revocable by the key itself) rather than stop the catch-up of every other site.
        if (!(err instanceof TooManyWriteKeysError)) throw err;
      }
    });
    await inParallel(deletes, (e) => this.applyDeletion(e.key, e.created.getTime()));
  }
}

/** `keys` with `key` marked revoked at `at`; null (nothing to write) when it is absent or revoked already. */
function revokedIn(keys: IndexedKey[], key: string, at: number): IndexedKey[] | null {
  const known = keys.find((k) => k.key === key);
  if (!known || known.revoked_at !== undefined) return null;
  return keys.map((k) => (k === known ? { ...k, revoked_at: at } : k));
}

function info(k: IndexedKey, revokedAt: number | null): WriteKeyInfo {
  return { key_id: writeKeyId(k.key), key_prefix: writeKeyPrefix(k.key), created_at: k.created_at, revoked: revokedAt !== null, revoked_at: revokedAt };
}
