import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type KV, type KvEntry, type NatsConnection } from 'nats';
import { KV_WRITE_KEYS, encodeRecord, type WriteKeyRecord } from '@pulse/protocol';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { TenancyStore } from '../src/tenancy/store.js';
import { catchUp } from '../src/tenancy/catch-up.js';
import { SyncPointStore, type SourceState } from '../src/tenancy/sync-point.js';
import { KV_SITE_WRITE_KEYS, MAX_WRITE_KEYS_PER_SITE, SYNC_KEY } from '../src/tenancy/write-key-index.js';
import { TooManyWriteKeysError } from '../src/errors.js';

// Each "start" is a TenancyStore on its own connection, as each query API process opens one; the
// listings below are what GET /v1/admin/sites/{id}/keys answers (the route only validates and wraps).
let nats: ConnectedNats;
const connections: NatsConnection[] = [];
beforeAll(async () => {
  nats = await startConnectedNats();
});
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await nats?.cleanup();
});

async function start(): Promise<TenancyStore> {
  const nc = await connect({ servers: nats.server.url });
  connections.push(nc);
  return TenancyStore.open(nc, { replicas: 1, cacheTtlMs: 1 });
}

const kv = (name: string): Promise<KV> => nats.nc.jetstream().views.kv(name);
const lastRevision = async (bucket: KV): Promise<number> => (await bucket.status()).streamInfo.state.last_seq;
const keyId = (key: string) => `wkid_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const randomKey = () => `wk_${Array.from({ length: 32 }, () => B62[Math.floor(Math.random() * 62)]).join('')}`;
const fakeSite = (i: number) => `s_${String(i).padStart(16, 'y')}`;
const record = (siteId: string, createdAt = Date.now()) => encodeRecord({ site_id: siteId, merchant_id: 'm_0000000000000000', created_at: createdAt } satisfies WriteKeyRecord);

/** Keys stored in PULSE_WRITE_KEYS without the index, as before it existed or by another writer. */
async function storeDirectly(bucket: KV, count: number, siteOf: (i: number) => string): Promise<string[]> {
  const keys = Array.from({ length: count }, randomKey);
  for (let i = 0; i < count; i += 500) await Promise.all(keys.slice(i, i + 500).map((k, j) => bucket.put(k, record(siteOf(i + j), 1_000 + i + j))));
  return keys;
}

async function newSite(store: TenancyStore): Promise<{ siteId: string; writeKey: string }> {
  const m = await store.createMerchant('catch-up');
  const { site, write_key } = await store.createSite({ merchant_id: m.merchant_id, domain: 'catch-up.example', timezone: 'UTC' });
  return { siteId: site.site_id, writeKey: write_key };
}

describe('write key index catch-up across starts', () => {
  it('reads the whole bucket at the first start, then only what a later start finds new; listings stay right', async () => {
    const first = await start();
    const writeKeys = await kv(KV_WRITE_KEYS);
    const a = await newSite(first);
    // 2,000 keys of 400 other sites and 5 of site A, stored before the index existed.
    await storeDirectly(writeKeys, 2_000, (i) => fakeSite(i % 400));
    const aDirect = await storeDirectly(writeKeys, 5, () => a.siteId);
    const stored = await lastRevision(writeKeys);

    const r1 = await first.catchUpWriteKeys();
    expect(r1).toMatchObject({ full: true, from: 1, read: stored, to: stored });
    expect((await first.listWriteKeys(a.siteId))?.map((k) => k.key_id).sort()).toEqual([a.writeKey, ...aDirect].map(keyId).sort());

    // A start with nothing new reads nothing.
    expect(await (await start()).catchUpWriteKeys()).toMatchObject({ full: false, from: stored + 1, read: 0, to: stored });

    // While this instance is down: another instance issues keys for a new site B and revokes one...
    const other = await start();
    const b = await newSite(other);
    const b2 = await other.createWriteKey(b.siteId);
    await other.revokeKey(b.writeKey);
    // ...and an operator stores a key for A, deletes one of A's listed keys, stores and deletes another.
    const [added] = await storeDirectly(writeKeys, 1, () => a.siteId);
    await writeKeys.delete(aDirect[0]!);
    const [gone] = await storeDirectly(writeKeys, 1, () => a.siteId);
    await writeKeys.delete(gone!);

    const restarted = await start();
    const r3 = await restarted.catchUpWriteKeys();
    // What is left of those 7 writes: B's first key (its delete), b2, `added`, A's delete, `gone`'s delete.
    expect(r3).toMatchObject({ full: false, from: stored + 1, read: 5, to: await lastRevision(writeKeys) });

    const aKeys = (await restarted.listWriteKeys(a.siteId))!;
    expect(aKeys.map((k) => k.key_id).sort()).toEqual([a.writeKey, ...aDirect, added!].map(keyId).sort());
    expect(aKeys.filter((k) => k.revoked).map((k) => k.key_id)).toEqual([keyId(aDirect[0]!)]);
    // Stored and deleted while down, by a writer that bypassed the index: its record is gone, it never shows.
    expect(aKeys.find((k) => k.key_id === keyId(gone!))).toBeUndefined();
    const bKeys = (await restarted.listWriteKeys(b.siteId))!;
    expect(bKeys.map((k) => [k.key_id, k.revoked])).toEqual([
      [keyId(b.writeKey), true],
      [keyId(b2), false],
    ]);
    expect(bKeys[0]!.revoked_at).toEqual(expect.any(Number));
  });

  it('reads a bucket made again in full, even once it has grown past the saved point', async () => {
    const store = await start();
    const writeKeys = await kv(KV_WRITE_KEYS);
    await storeDirectly(writeKeys, 50, fakeSite);
    await store.catchUpWriteKeys();
    // Restored from elsewhere: deleted, then filled with more keys than the old one ever had.
    await writeKeys.destroy();
    const site = await newSite(await start());
    const rebuilt = await kv(KV_WRITE_KEYS);
    await storeDirectly(rebuilt, 3_000, (i) => fakeSite(i % 300));
    const keys = await storeDirectly(rebuilt, 5, () => site.siteId);
    const r = await (await start()).catchUpWriteKeys();
    expect(r).toMatchObject({ full: true, from: 1, read: 3_006 });
    const listed = await (await start()).listWriteKeys(site.siteId);
    expect(listed?.map((k) => k.key_id).sort()).toEqual([site.writeKey, ...keys].map(keyId).sort());
  });

  it('lets instances catch up at once: every key is indexed and the saved point ends at the last revision', async () => {
    const writeKeys = await kv(KV_WRITE_KEYS);
    await storeDirectly(writeKeys, 3_000, (i) => fakeSite(10_000 + (i % 300)));
    // A site whose index record holds a key that a full pass cannot see (revoked: its record is gone).
    const issuer = await start();
    const c = await newSite(issuer);
    const c2 = await issuer.createWriteKey(c.siteId);
    await issuer.revokeKey(c.writeKey);
    // A point from another bucket forces a full pass on both.
    const index = await kv(KV_SITE_WRITE_KEYS);
    await index.put(SYNC_KEY, encodeRecord({ revision: 1, stream_created: '2000-01-01T00:00:00Z' }));
    const [s1, s2] = [await start(), await start()];
    const results = await Promise.all([s1.catchUpWriteKeys(), s2.catchUpWriteKeys()]);
    const last = await lastRevision(writeKeys);
    for (const r of results) expect(r).toMatchObject({ full: true, to: last });
    expect(await (await start()).catchUpWriteKeys()).toMatchObject({ full: false, read: 0, from: last + 1 });
    const records = await Promise.all(Array.from({ length: 300 }, async (_, i) => (await index.get(fakeSite(10_000 + i)))!));
    const counts = records.map((e) => (JSON.parse(new TextDecoder().decode(e.value)) as { keys: unknown[] }).keys.length);
    expect(counts).toEqual(Array.from({ length: 300 }, () => 10));
    // The pass added to C's record, it did not replace it.
    expect((await s1.listWriteKeys(c.siteId))?.map((k) => [k.key_id, k.revoked])).toEqual([
      [keyId(c.writeKey), true],
      [keyId(c2), false],
    ]);
  });
});

describe('a write key deleted or purged directly while no instance runs', () => {
  it("leaves the index at the next start's catch-up: it no longer holds one of the site's places", async () => {
    // Instances of the tests above would see the delete through their watches: here none runs.
    const stopAll = () => Promise.all(connections.splice(0).map((nc) => nc.close()));
    await stopAll();
    const writeKeys = await kv(KV_WRITE_KEYS);
    const first = await start();
    const site = await newSite(first);
    const stored = await storeDirectly(writeKeys, MAX_WRITE_KEYS_PER_SITE - 1, () => site.siteId);
    await first.catchUpWriteKeys();
    await expect(first.createWriteKey(site.siteId)).rejects.toBeInstanceOf(TooManyWriteKeysError);
    await stopAll();

    // An operator, with the nats CLI.
    const [deleted, purged] = [stored[0]!, stored[1]!];
    await writeKeys.delete(deleted);
    await writeKeys.purge(purged);

    const next = await start();
    expect(await next.catchUpWriteKeys()).toMatchObject({ full: false, read: 2 });
    const added = [await next.createWriteKey(site.siteId), await next.createWriteKey(site.siteId)];
    const listed = (await next.listWriteKeys(site.siteId))!;
    expect(listed).toHaveLength(MAX_WRITE_KEYS_PER_SITE);
    expect(listed.filter((k) => k.revoked)).toEqual([]);
    // Revoked, then forgotten to make room for the two new ones.
    expect(listed.map((k) => k.key_id)).not.toContain(keyId(deleted));
    expect(listed.map((k) => k.key_id)).not.toContain(keyId(purged));
    expect(listed.slice(-2).map((k) => k.key_id)).toEqual(added.map(keyId));
  });
});

describe('a write key put back after a direct delete', () => {
  it('lists as revoked once deleted, and as live again once stored again (PULSE_WRITE_KEYS has the last word)', async () => {
    const store = await start();
    const writeKeys = await kv(KV_WRITE_KEYS);
    const site = await newSite(store);
    const [key] = await storeDirectly(writeKeys, 1, () => site.siteId);
    const state = async () => (await store.listWriteKeys(site.siteId))!.find((k) => k.key_id === keyId(key!));
    expect(await state()).toMatchObject({ revoked: false });
    const entry = (await writeKeys.get(key!))!;
    await writeKeys.delete(key!);
    expect(await state()).toMatchObject({ revoked: true, revoked_at: expect.any(Number) });
    await writeKeys.put(key!, entry.value);
    expect(await state()).toMatchObject({ revoked: false, revoked_at: null });
  });
});

describe('catchUp', () => {
  it('saves its point after each round, so an interrupted first pass resumes where it stopped', async () => {
    const nc = nats.nc;
    const source = await nc.jetstream().views.kv('CATCH_UP_SOURCE', { history: 1 });
    const target = await nc.jetstream().views.kv('CATCH_UP_INDEX', { history: 1 });
    const sync = new SyncPointStore({ kv: target, key: 'sync' });
    await storeDirectly(source, 1_000, fakeSite);
    const seen: KvEntry[] = [];
    let rounds = 0;
    const failing = catchUp({
      source,
      sync,
      batch: 300,
      apply: async (entries) => {
        if (++rounds === 3) throw new Error('index write failed');
        seen.push(...entries);
      },
    });
    await expect(failing).rejects.toThrow('index write failed');
    expect(seen.map((e) => e.revision)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));

    const resumed = await catchUp({ source, sync, batch: 300, apply: async (entries) => void seen.push(...entries) });
    expect(resumed).toMatchObject({ full: false, from: 601, read: 400, to: 1_000 });
    expect(seen.map((e) => e.revision)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
  });

  it('skips what another instance indexed while it was applying a round', async () => {
    const source = await nats.nc.jetstream().views.kv('CATCH_UP_SOURCE_2', { history: 1 });
    const target = await nats.nc.jetstream().views.kv('CATCH_UP_INDEX_2', { history: 1 });
    const sync = new SyncPointStore({ kv: target, key: 'sync' });
    await storeDirectly(source, 1_000, fakeSite);
    const { streamInfo } = await source.status();
    const state: SourceState = { created: streamInfo.created, lastRevision: streamInfo.state.last_seq };
    const applied: number[] = [];
    const r = await catchUp({
      source,
      sync,
      batch: 300,
      apply: async (entries) => {
        // Meanwhile another instance has got to 900.
        if (applied.length === 0) await sync.advance(900, state);
        applied.push(...entries.map((e) => e.revision));
      },
    });
    expect(r).toMatchObject({ full: true, from: 1, read: 400, to: 1_000 });
    expect(applied).toEqual([...Array.from({ length: 300 }, (_, i) => i + 1), ...Array.from({ length: 100 }, (_, i) => i + 901)]);
  });
});

describe('SyncPointStore', () => {
  it('only moves forward, answers a point another instance saved further on, and ignores other streams', async () => {
    const target = await nats.nc.jetstream().views.kv('SYNC_POINTS', { history: 1 });
    const sync = new SyncPointStore({ kv: target, key: 'p' });
    const now: SourceState = { created: '2024-05-01T00:00:00.1Z', lastRevision: 500 };
    expect(await sync.resumeAfter(now)).toBe(0);
    expect(await sync.advance(100, now)).toBe(100);
    expect(await sync.advance(60, now)).toBe(100);
    // Saved by an instance that read later than `now` was taken: still this stream's point.
    expect(await sync.advance(700, now)).toBe(700);
    expect(await sync.resumeAfter(now)).toBe(700);
    const remade: SourceState = { created: '2024-06-01T00:00:00.2Z', lastRevision: 900 };
    expect(await sync.resumeAfter(remade)).toBe(0);
    expect(await sync.advance(10, remade)).toBe(10);
    // A point saved by an older version (no stream) is trusted up to the end of the bucket.
    await target.put('p', encodeRecord({ revision: 300 }));
    expect(await sync.resumeAfter(now)).toBe(300);
    expect(await sync.resumeAfter({ ...now, lastRevision: 200 })).toBe(0);
  });
});
