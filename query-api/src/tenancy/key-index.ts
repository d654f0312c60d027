import { createHash } from 'node:crypto';
import type { KV, KvEntry } from 'nats';
import { decodeRecord, encodeRecord, within } from '@pulse/protocol';
import { TooManyKeysError, UnavailableError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { catchUp, type CatchUpResult } from './catch-up.js';
import { KeyOwners } from './key-owners.js';
import { holdsRecord } from './kv-record.js';
import { SyncPointStore } from './sync-point.js';
import { WorkQueue } from './work-queue.js';

/**
 * Index of one kind of key by the group it belongs to (a site's write keys, a merchant's read
 * keys), owned by the query API: in its own bucket, key `<group id>`, value {@link GroupKeys}. The
 * keys' own bucket is keyed by the secret (readers look keys up by it), so without this index
 * listing one group's keys would read every key of every group. One record per group, read with
 * one `get`: a filtered read of a bucket (a key per indexed key, `<group>.>`) costs a walk over the
 * whole bucket on nats-server 2.9 (~0.2–0.4 s at 200,000 entries), a `get` ~1 ms at any size.
 */
export interface KeyIndexConfig {
  /** What the keys are, for messages: `write key`. */
  kind: string;
  /** The bucket of the keys themselves (keyed by the secret), for messages. */
  sourceBucket: string;
  /** The field of a stored key's record naming its group (`site_id`); its owner entry holds the same field. */
  groupField: string;
  /** Key (in the index bucket, never a group id) of the {@link SyncPointStore} point: how far the index has read the keys' bucket. */
  syncKey: string;
  /** A key's id is this (`wkid_`) and the first 16 hex digits of the key's SHA-256. */
  idPrefix: string;
  /** Keys a group's record holds, live or revoked (~80 bytes each); the oldest revoked make room first. */
  maxPerGroup: number;
  /** The error for another key of a group whose record holds `maxPerGroup` live keys. */
  tooMany: (group: string, max: number) => TooManyKeysError;
}

/** Deletions the bucket's watch reported, applied at once at most. */
const DELETION_WORKERS = 16;
/** KV requests in flight at once while listing or catching up. */
const PARALLEL = 256;
const CAS_ATTEMPTS = 10;
/** How long a request waits for a catch-up (the first after an upgrade may take minutes) before a 503. */
const CATCH_UP_WAIT_MS = 10_000;
const GROUP_ID = /^[0-9A-Za-z_-]{1,64}$/;

/** Not secret: names a key in listings and revocations. */
export const keyId = (idPrefix: string, key: string): string => `${idPrefix}${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
/** What a listing shows of the key itself: its kind (`wk_`) and 5 of its 32 random characters. */
export const keyPrefix = (key: string): string => key.slice(0, 8);

interface IndexedKey {
  /** The whole key: needed to revoke it by its id. The index bucket is as private as the keys' own. */
  key: string;
  created_at: number;
  revoked_at?: number;
}

/** A key as a catch-up read it from the keys' bucket: `stored_at` is when that record was written. */
interface StoredKey extends IndexedKey {
  stored_at: number;
}

/** A group's keys, oldest first. */
interface GroupKeys {
  keys: IndexedKey[];
}

/** One key of a group as a listing finds it. `key` is the secret: for revoking it, never for an answer. */
export interface ListedKey<R> {
  key: string;
  key_id: string;
  created_at: number;
  /** null while the key works. */
  revoked_at: number | null;
  /** Its record in the keys' bucket while it works, null once revoked. */
  record: R | null;
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

export interface KeyIndexOptions {
  /** The index's own bucket: group records, its sync point and the keys' owner entries. */
  index: KV;
  /** The keys themselves, keyed by the secret. */
  source: KV;
  log?: Logger;
}

/**
 * A key in the index is live until it is marked revoked: by the admin API's revocation, or, for a
 * delete or purge made in the keys' bucket by anyone else (`nats kv del`), by {@link changed} (the
 * bucket's watch, while an instance runs) or the catch-up (the deletes made while none ran). Live
 * keys count against the group's `maxPerGroup`; revoked ones make room.
 */
export class KeyIndex<R extends object> {
  private catching: Promise<CatchUpResult> | undefined;
  private readonly index: KV;
  private readonly source: KV;
  private readonly sync: SyncPointStore;
  private readonly owners: KeyOwners;
  private readonly deletions: WorkQueue<{ key: string; at: number }>;
  private readonly idPattern: RegExp;

  constructor(
    private readonly c: KeyIndexConfig,
    o: KeyIndexOptions,
  ) {
    this.index = o.index;
    this.source = o.source;
    this.sync = new SyncPointStore({ kv: o.index, key: c.syncKey });
    this.owners = new KeyOwners(o.index, c.groupField);
    this.idPattern = new RegExp(`^${c.idPrefix}[0-9a-f]{16}$`);
    const log = o.log ?? silentLogger;
    this.deletions = new WorkQueue(
      (d) => this.applyDeletion(d.key, d.at),
      DELETION_WORKERS,
      (err) => log.log('warn', `a ${c.kind} deleted in ${c.sourceBucket} is still live in the index; the next catch-up takes it out`, { err }),
    );
  }

  idOf(key: string): string {
    return keyId(this.c.idPrefix, key);
  }

  /**
   * Indexes the key, then stores it (`store`): a stored key always has its entry, and a failed store
   * takes the entry out again (best effort: a listing leaves out an entry whose key was never stored).
   */
  async issue(group: string, key: string, createdAt: number, store: () => Promise<unknown>): Promise<void> {
    await this.add(group, key, createdAt);
    try {
      await store();
    } catch (err) {
      await this.remove(group, key).catch(() => undefined);
      throw err;
    }
  }

  /**
   * After the admin API deleted `entry`'s key from its bucket (revocation is final: a key is never
   * issued twice): marked revoked in the group its record named.
   */
  async markRevoked(entry: KvEntry, revokedAt: number): Promise<void> {
    const stored = this.stored(entry);
    if (!stored) return;
    const { group, created_at } = stored;
    await this.change(group, (keys) =>
      keys.some((k) => k.key === entry.key) ? revokedIn(keys, entry.key, revokedAt) : this.withKeys(group, keys, [{ key: entry.key, created_at, revoked_at: revokedAt }]),
    );
    // No delete needs to find the group any more; left behind, the entry only costs its bytes.
    await this.owners.forget(entry.key).catch(() => undefined);
  }

  /**
   * A change of the keys' bucket, reported by its watch: a delete or purge (by anyone) is marked
   * revoked in the background. One that fails is applied by the next catch-up, since the delete
   * lies after the point every catch-up starts from until one has applied it.
   */
  changed(e: KvEntry): void {
    if (!holdsRecord(e)) this.deletions.push({ key: e.key, at: e.created.getTime() });
  }

  /** The group's key with this id, revoked or not; null when the group has none. */
  async find(group: string, id: string): Promise<{ key: string; revoked: boolean } | null> {
    if (!this.idPattern.test(id)) return null;
    await this.caughtUp();
    const found = (await this.read(group)).keys.find((k) => this.idOf(k.key) === id);
    return found ? { key: found.key, revoked: found.revoked_at !== undefined } : null;
  }

  /**
   * The group's keys, oldest first: one `get` of its record, then one `get` per key the record
   * holds as live, so a revocation the index missed (another writer, or a failure between the two
   * writes) still shows: the keys' bucket has the last word.
   */
  async list(group: string): Promise<ListedKey<R>[]> {
    await this.caughtUp();
    const { keys } = await this.read(group);
    const out = new Map<IndexedKey, ListedKey<R>>();
    const listed = (k: IndexedKey, revokedAt: number | null, record: R | null): ListedKey<R> => ({
      key: k.key,
      key_id: this.idOf(k.key),
      created_at: k.created_at,
      revoked_at: revokedAt,
      record,
    });
    await inParallel(keys, async (k) => {
      if (k.revoked_at !== undefined) {
        out.set(k, listed(k, k.revoked_at, null));
        return;
      }
      const e = await this.source.get(k.key);
      // No entry at all: an issue that failed after its index entry was written; the key never worked.
      if (!e) return;
      if (!holdsRecord(e)) {
        out.set(k, listed(k, e.created.getTime(), null));
        return;
      }
      const stored = this.stored(e);
      if (stored?.group === group) out.set(k, listed(k, null, stored.record));
    });
    return keys.flatMap((k) => out.get(k) ?? []);
  }

  /**
   * Indexes the keys the bucket gained since the last catch-up of any instance: keys stored before
   * this index existed (a one-time pass over the bucket, begun at start), or by writers that do not
   * know it. Reads only the revisions after the saved point: a stream-info request and a `get` when
   * nothing is new. Concurrent calls share one run.
   */
  catchUp(): Promise<CatchUpResult> {
    this.catching ??= catchUp({ source: this.source, sync: this.sync, apply: (entries, o) => this.indexEntries(entries, o) }).finally(() => {
      this.catching = undefined;
    });
    return this.catching;
  }

  /**
   * Written before the key itself; its owner entry first of all, so a delete never meets a live
   * entry it cannot find.
   */
  private async add(group: string, key: string, createdAt: number): Promise<void> {
    await this.owners.set(key, group);
    await this.change(group, (keys) => this.withKeys(group, keys, [{ key, created_at: createdAt }]));
  }

  private async remove(group: string, key: string): Promise<void> {
    await this.change(group, (keys) => (keys.some((k) => k.key === key) ? keys.filter((k) => k.key !== key) : null));
    await this.owners.forget(key).catch(() => undefined);
  }

  /** Waits for a catch-up, at most CATCH_UP_WAIT_MS; it goes on in the background after a 503. */
  private async caughtUp(): Promise<void> {
    await within(
      this.catchUp(),
      CATCH_UP_WAIT_MS,
      () => new UnavailableError(`the ${this.c.kind} index is still catching up with ${this.c.sourceBucket} (the first start after an upgrade reads it all); retry shortly`),
    );
  }

  /** A stored key's group, creation time and record; null for an entry that holds none, or none naming a group. */
  private stored(e: KvEntry): { group: string; created_at: number; record: R } | null {
    if (!holdsRecord(e)) return null;
    let rec: R;
    try {
      rec = decodeRecord<R>(e.value);
    } catch {
      return null;
    }
    const fields = rec as Record<string, unknown>;
    const group = fields[this.c.groupField];
    if (typeof group !== 'string' || !GROUP_ID.test(group)) return null;
    return { group, created_at: typeof fields.created_at === 'number' ? fields.created_at : e.created.getTime(), record: rec };
  }

  /** Adds keys to a group's list; the oldest revoked ones are forgotten when it would grow past the limit. */
  private withKeys(group: string, current: IndexedKey[], added: IndexedKey[]): IndexedKey[] {
    const known = new Set(current.map((k) => k.key));
    const next = [...current, ...added.filter((k) => !known.has(k.key))].sort(byAge);
    for (let excess = next.length - this.c.maxPerGroup; excess > 0; excess--) {
      const oldestRevoked = next.findIndex((k) => k.revoked_at !== undefined);
      if (oldestRevoked < 0) throw this.c.tooMany(group, this.c.maxPerGroup);
      next.splice(oldestRevoked, 1);
    }
    return next;
  }

  private async read(group: string): Promise<GroupKeys & { revision: number }> {
    const e = await this.index.get(group);
    if (!holdsRecord(e)) return { keys: [], revision: e?.revision ?? 0 };
    return { ...decodeRecord<GroupKeys>(e.value), revision: e.revision };
  }

  /**
   * Read, change, compare-and-set: concurrent writers (other instances) retry on each other's
   * revision. `fn` answers null when there is nothing to write. With `absent` (a group the index
   * most likely lacks) a create is tried first, which saves the read; it fails if the record exists.
   */
  private async change(group: string, fn: (keys: IndexedKey[]) => IndexedKey[] | null, o: { absent?: boolean } = {}): Promise<void> {
    if (o.absent) {
      const next = fn([]);
      if (!next) return;
      const created = await this.index.create(group, encodeRecord({ keys: next } satisfies GroupKeys)).then(
        () => true,
        // The record exists after all (or the create failed otherwise): the read-and-set below decides.
        () => false,
      );
      if (created) return;
    }
    for (let attempt = 1; ; attempt++) {
      const { keys, revision } = await this.read(group);
      const next = fn(keys);
      if (!next) return;
      const value = encodeRecord({ keys: next } satisfies GroupKeys);
      try {
        if (revision === 0) await this.index.create(group, value);
        else await this.index.update(group, value, revision);
        return;
      } catch (err) {
        if (attempt >= CAS_ATTEMPTS) throw err;
      }
    }
  }

  /** Marks the key revoked in its group's record, found through its owner entry (none: the index never held it live). */
  private async applyDeletion(key: string, at: number): Promise<void> {
    const group = await this.owners.groupOf(key);
    if (group === null) return;
    await this.change(group, (keys) => revokedIn(keys, key, at));
    await this.owners.forget(key);
  }

  /**
   * Stored keys the index lacks are added to their groups (each with its owner entry, so a later
   * delete finds it); deleted keys it holds live are marked revoked. A key stored and deleted
   * again in between cannot be placed (its record is gone) and never works again.
   */
  private async indexEntries(entries: KvEntry[], o: { full: boolean }): Promise<void> {
    // The last write of each key: a round that raced a delete may hold the key's put and its delete.
    const latest = new Map<string, KvEntry>();
    for (const e of entries) latest.set(e.key, e);
    const byGroup = new Map<string, StoredKey[]>();
    const deletes: KvEntry[] = [];
    for (const e of latest.values()) {
      if (!holdsRecord(e)) {
        deletes.push(e);
        continue;
      }
      const stored = this.stored(e);
      if (!stored) continue;
      const list = byGroup.get(stored.group) ?? [];
      list.push({ key: e.key, created_at: stored.created_at, stored_at: e.created.getTime() });
      byGroup.set(stored.group, list);
    }
    const found = [...byGroup].flatMap(([group, keys]) => keys.map((k) => ({ group, key: k.key })));
    await inParallel(found, (k) => this.owners.set(k.key, k.group));
    await inParallel([...byGroup], async ([group, added]) => {
      try {
        await this.change(
          group,
          (current) => {
            const held = new Map(current.map((k) => [k.key, k]));
            // Stored again after it was revoked (an operator undoing a `nats kv del`): it works, so it is live.
            const revived = new Set(added.filter((k) => (held.get(k.key)?.revoked_at ?? Infinity) <= k.stored_at).map((k) => k.key));
            const missing = added.filter((k) => !held.has(k.key)).map(({ key, created_at }) => ({ key, created_at }));
            if (revived.size === 0 && missing.length === 0) return null;
            const base = current.map((k) => (revived.has(k.key) ? { key: k.key, created_at: k.created_at } : k));
            return this.withKeys(group, base, missing);
          },
          // A later catch-up mostly meets keys this API indexed before storing them: reading first is cheaper.
          { absent: o.full },
        );
      } catch (err) {
        // A group given more live keys than a record holds, outside this API: those stay unlisted
        // (still revocable by the key itself) rather than stop the catch-up of every other group.
        if (!(err instanceof TooManyKeysError)) throw err;
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
