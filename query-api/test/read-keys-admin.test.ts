import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type KV } from 'nats';
import { KV_READ_KEYS, decodeRecord, encodeRecord, type ReadKeyRecord } from '@pulse/protocol';
import { createQueryApi, KV_MERCHANT_READ_KEYS, silentLogger } from '../src/index.js';
import { READ_KEY_CREATED_SCHEMA, READ_KEY_LIST_SCHEMA } from '../src/admin/schemas.js';
import { validate } from '../src/schema/json-schema.js';
import { MAX_READ_KEYS_PER_MERCHANT, type ReadKeyInfo as Listed } from '../src/tenancy/read-key-index.js';
import { ADMIN_TOKEN, call, createTenant, startHarness, type Harness, type Reply } from './harness.js';

/**
 * A merchant's read keys listed without their secrets (`GET /v1/admin/merchants/{id}/keys`) and
 * revoked by their id (`DELETE …/keys/{key_id}`): what an operator who handed out shared dashboard
 * links and lost the strings has left.
 */

let h: Harness;
let readKeys: KV;
beforeAll(async () => {
  h = await startHarness({ keyCacheTtlMs: 500, rateLimit: { perSecond: 10_000, burst: 10_000 } });
  readKeys = await h.nc.jetstream().views.kv(KV_READ_KEYS);
});
afterAll(async () => h?.close());

const admin = (method: string, path: string, body?: unknown, url = h.url) => call(url, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });
const keyId = (key: string) => `rkid_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const randomKey = () => `rk_${Array.from({ length: 32 }, () => B62[Math.floor(Math.random() * 62)]).join('')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function list(merchantId: string, url = h.url): Promise<{ keys: Listed[]; text: string }> {
  const r = await admin('GET', `/v1/admin/merchants/${merchantId}/keys`, undefined, url);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  // Checked against the schema /openapi.json publishes for it.
  validate(READ_KEY_LIST_SCHEMA, r.body);
  expect(r.body.merchant_id).toBe(merchantId);
  return { keys: r.body.keys, text: JSON.stringify(r.body) };
}

async function createKey(body: Record<string, unknown>, url = h.url): Promise<string> {
  const r = await admin('POST', '/v1/admin/keys', body, url);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  validate(READ_KEY_CREATED_SCHEMA, r.body);
  expect(r.body.key_id).toBe(keyId(r.body.read_key));
  return r.body.read_key;
}

/** The key as the listing must show it: its record's creation time, scope and note, never more of the key than 8 characters. */
async function expected(key: string): Promise<Listed> {
  const rec = decodeRecord<ReadKeyRecord>((await readKeys.get(key))!.value);
  return {
    key_id: keyId(key),
    key_prefix: key.slice(0, 8),
    created_at: rec.created_at,
    ...(rec.site_ids ? { site_ids: rec.site_ids } : {}),
    ...(rec.label !== undefined ? { label: rec.label } : {}),
  };
}

function expectNoSecret(text: string, keys: string[]): void {
  // No 9 characters of a key in a row: the listing gives 8 (`rk_` + 5).
  for (const key of keys) for (let i = 0; i + 9 <= key.length; i++) expect(text).not.toContain(key.slice(i, i + 9));
}

/** A read key stored straight into PULSE_READ_KEYS, as a version before the index (or another writer) did. */
async function storeDirectly(rec: ReadKeyRecord): Promise<string> {
  const key = randomKey();
  await readKeys.create(key, encodeRecord(rec));
  return key;
}

const query = (key: string, siteId: string, url = h.url): Promise<Reply> =>
  call(url, 'POST', '/v1/query', { token: key, body: { site_id: siteId, metrics: ['pageviews'], date_range: '7d' } });

/** The status the key gets on /v1/query within 2 s: 401 as soon as it is refused. */
async function statusWithin2s(key: string, siteId: string, url = h.url): Promise<number> {
  const until = Date.now() + 2_000;
  let status = 0;
  do {
    status = (await query(key, siteId, url)).status;
    if (status === 401) break;
    await sleep(50);
  } while (Date.now() < until);
  return status;
}

const revokeById = (merchantId: string, id: string, url = h.url) => admin('DELETE', `/v1/admin/merchants/${merchantId}/keys/${id}`, undefined, url);

describe('GET /v1/admin/merchants/{merchant_id}/keys', () => {
  it('lists plain and scoped keys exactly, oldest first, with scope and label, never a secret', async () => {
    const t = await createTenant(h.url);
    const second = await admin('POST', '/v1/admin/sites', { merchant_id: t.merchantId, domain: 'second.example' });
    const s2: string = second.body.site_id;
    const scoped = await createKey({ merchant_id: t.merchantId, site_ids: [s2, t.siteId], label: 'Agency: both shops' });
    const oneSite = await createKey({ merchant_id: t.merchantId, site_ids: [s2], label: '' });
    const other = await createTenant(h.url);

    const listed = await list(t.merchantId);
    expect(listed.keys).toEqual([await expected(t.readKey), await expected(scoped), await expected(oneSite)]);
    expect(listed.keys.map((k) => Object.keys(k).sort())).toEqual([
      ['created_at', 'key_id', 'key_prefix'],
      ['created_at', 'key_id', 'key_prefix', 'label', 'site_ids'],
      ['created_at', 'key_id', 'key_prefix', 'label', 'site_ids'],
    ]);
    expect(listed.keys[1]).toMatchObject({ site_ids: [s2, t.siteId], label: 'Agency: both shops' });
    expectNoSecret(listed.text, [t.readKey, scoped, oneSite]);
    expect(listed.text).not.toContain(other.readKey.slice(3, 12));
    expect((await list(other.merchantId)).keys).toEqual([await expected(other.readKey)]);
  });

  it('leaves out keys revoked by value or deleted in PULSE_READ_KEYS by another writer', async () => {
    const t = await createTenant(h.url);
    const [byValue, deleted, kept] = [await createKey({ merchant_id: t.merchantId }), await createKey({ merchant_id: t.merchantId }), t.readKey];
    expect((await admin('DELETE', `/v1/admin/keys/${byValue}`)).status).toBe(204);
    // `nats kv del`, or an instance of a version before the index.
    await readKeys.delete(deleted);
    expect((await list(t.merchantId)).keys).toEqual([await expected(kept)]);
  });

  it('answers 404 for an unknown merchant, 400 naming a malformed merchant_id, 401 without the admin token', async () => {
    const unknown = await admin('GET', '/v1/admin/merchants/m_0000000000000000/keys');
    expect([unknown.status, unknown.body]).toEqual([404, { error: { code: 'not_found', message: 'merchant not found' } }]);
    for (const bad of ['nope', 'm_short', 's_0000000000000000']) {
      const r = await admin('GET', `/v1/admin/merchants/${bad}/keys`);
      expect([bad, r.status, r.body.error.code]).toEqual([bad, 400, 'invalid_request']);
      expect(r.body.error.message).toMatch(/^merchant_id: /);
    }
    const t = await createTenant(h.url);
    const other = await createTenant(h.url);
    for (const token of [undefined, t.readKey, other.readKey, t.writeKey, 'wrong-token', `${ADMIN_TOKEN}x`]) {
      const r = await call(h.url, 'GET', `/v1/admin/merchants/${t.merchantId}/keys`, token ? { token } : {});
      expect([r.status, r.body.error.code]).toEqual([401, 'unauthorized']);
      expectNoSecret(JSON.stringify(r.body), [t.readKey]);
    }
  });
});

describe('DELETE /v1/admin/merchants/{merchant_id}/keys/{key_id}', () => {
  it('revokes the key the id names: 401 on /v1/query within 2 s, gone from the listing, a second time 404', async () => {
    const t = await createTenant(h.url);
    const shared = await createKey({ merchant_id: t.merchantId, site_ids: [t.siteId], label: 'lost link' });
    // Accepted and cached first: the revocation must reach a key this instance holds as good.
    expect((await query(shared, t.siteId)).status).toBe(200);
    const id = (await list(t.merchantId)).keys.find((k) => k.label === 'lost link')!.key_id;
    expect(id).toBe(keyId(shared));

    expect((await revokeById(t.merchantId, id)).status).toBe(204);
    expect(await statusWithin2s(shared, t.siteId)).toBe(401);
    expect((await readKeys.get(shared))?.operation).toBe('DEL');
    expect((await list(t.merchantId)).keys).toEqual([await expected(t.readKey)]);
    const again = await revokeById(t.merchantId, id);
    expect([again.status, again.body]).toEqual([404, { error: { code: 'not_found', message: 'key not found' } }]);
    // The merchant's other key still works.
    expect((await query(t.readKey, t.siteId)).status).toBe(200);
  });

  it("never revokes another merchant's key: its id under this merchant is 404 and the key keeps working", async () => {
    const a = await createTenant(h.url);
    const b = await createTenant(h.url);
    const r = await revokeById(a.merchantId, keyId(b.readKey));
    expect([r.status, r.body]).toEqual([404, { error: { code: 'not_found', message: 'key not found' } }]);
    expect((await readKeys.get(b.readKey))?.operation).toBe('PUT');
    expect((await list(b.merchantId)).keys).toEqual([await expected(b.readKey)]);
    expect((await query(b.readKey, b.siteId)).status).toBe(200);
  });

  it('answers 404 for an unknown merchant, 400 naming a malformed id, 401 without the admin token', async () => {
    const t = await createTenant(h.url);
    const id = keyId(t.readKey);
    const unknown = await revokeById('m_0000000000000000', id);
    expect([unknown.status, unknown.body]).toEqual([404, { error: { code: 'not_found', message: 'merchant not found' } }]);
    const badMerchant = await revokeById('nope', id);
    expect([badMerchant.status, badMerchant.body.error.code]).toEqual([400, 'invalid_request']);
    expect(badMerchant.body.error.message).toMatch(/^merchant_id: /);
    // The key itself is not its id: the secret never goes into this path. Nor is a write key's id.
    for (const bad of [t.readKey, 'rkid_XYZ', `${id}0`, `wkid_${id.slice(5)}`]) {
      const r = await revokeById(t.merchantId, bad);
      expect([bad, r.status, r.body.error.code]).toEqual([bad, 400, 'invalid_request']);
      expect(r.body.error.message).toMatch(/^key_id: /);
    }
    for (const token of [undefined, t.readKey, t.writeKey, 'wrong-token']) {
      const r = await call(h.url, 'DELETE', `/v1/admin/merchants/${t.merchantId}/keys/${id}`, token ? { token } : {});
      expect([r.status, r.body.error.code]).toEqual([401, 'unauthorized']);
    }
    expect((await readKeys.get(t.readKey))?.operation).toBe('PUT');
    expect((await query(t.readKey, t.siteId)).status).toBe(200);
  });
});

describe('read keys stored without the index (before it existed, or by another writer)', () => {
  it('are listed, with their own creation time, scope and label, and can be revoked by id', async () => {
    const t = await createTenant(h.url);
    const plain = await storeDirectly({ merchant_id: t.merchantId, created_at: Date.now() - 120_000 });
    const scoped = await storeDirectly({ merchant_id: t.merchantId, created_at: Date.now() - 60_000, site_ids: [t.siteId], label: 'made by an older version' });
    // Another merchant's, stored the same way: never in this listing.
    const foreign = await storeDirectly({ merchant_id: (await createTenant(h.url)).merchantId, created_at: Date.now() - 90_000 });

    const listed = await list(t.merchantId);
    expect(listed.keys).toEqual([await expected(plain), await expected(scoped), await expected(t.readKey)]);
    expect(listed.keys[0]!.created_at).toBeLessThan(listed.keys[1]!.created_at);
    expectNoSecret(listed.text, [plain, scoped, foreign]);

    expect((await query(scoped, t.siteId)).status).toBe(200);
    expect((await revokeById(t.merchantId, keyId(scoped))).status).toBe(204);
    expect(await statusWithin2s(scoped, t.siteId)).toBe(401);
    expect((await list(t.merchantId)).keys).toEqual([await expected(plain), await expected(t.readKey)]);
    expect((await query(plain, t.siteId)).status).toBe(200);
  });

  it('are all found again by a pass over the whole bucket when the index has nothing (the first start after the upgrade)', async () => {
    const t = await createTenant(h.url);
    const scoped = await createKey({ merchant_id: t.merchantId, site_ids: [t.siteId], label: 'kept' });
    const direct = await storeDirectly({ merchant_id: t.merchantId, created_at: Date.now() - 30_000 });
    const before = (await list(t.merchantId)).keys;
    expect(before).toEqual([await expected(direct), await expected(t.readKey), await expected(scoped)]);
    // As an upgraded deployment finds it: PULSE_READ_KEYS full, the index empty (no records, owners, nor sync point).
    const index = await h.nc.jetstream().views.kv(KV_MERCHANT_READ_KEYS);
    const indexKeys: string[] = [];
    for await (const k of await index.keys()) indexKeys.push(k);
    expect(indexKeys).toContain(t.merchantId);
    await Promise.all(indexKeys.map((k) => index.purge(k)));

    expect((await list(t.merchantId)).keys).toEqual(before);
    // Indexed with its owner entry again: revocable by id, by value, and by a delete of anyone's.
    expect((await revokeById(t.merchantId, keyId(direct))).status).toBe(204);
    expect(await statusWithin2s(direct, t.siteId)).toBe(401);
    await readKeys.delete(scoped);
    expect((await list(t.merchantId)).keys).toEqual([await expected(t.readKey)]);
  });
});

describe('a merchant with the most read keys it may have', () => {
  it(`refuses another at ${MAX_READ_KEYS_PER_MERCHANT} working keys (409 too_many_read_keys), and takes one once a key is revoked`, async () => {
    const t = await createTenant(h.url);
    const stored: string[] = [];
    for (let i = 0; i < MAX_READ_KEYS_PER_MERCHANT - 1; i += 500) {
      const batch = Array.from({ length: Math.min(500, MAX_READ_KEYS_PER_MERCHANT - 1 - i) }, (_, j) => storeDirectly({ merchant_id: t.merchantId, created_at: Date.now() - 10_000 + i + j }));
      stored.push(...(await Promise.all(batch)));
    }
    expect((await list(t.merchantId)).keys).toHaveLength(MAX_READ_KEYS_PER_MERCHANT);
    const full = await admin('POST', '/v1/admin/keys', { merchant_id: t.merchantId });
    expect([full.status, full.body.error.code]).toEqual([409, 'too_many_read_keys']);
    expect(full.body.error.message).toContain(t.merchantId);
    expect((await revokeById(t.merchantId, keyId(stored[0]!))).status).toBe(204);
    const added = await createKey({ merchant_id: t.merchantId });
    const { keys } = await list(t.merchantId);
    expect(keys).toHaveLength(MAX_READ_KEYS_PER_MERCHANT);
    expect(keys.map((k) => k.key_id)).not.toContain(keyId(stored[0]!));
    expect(keys.at(-1)).toEqual(await expected(added));
  });
});

describe('two query API instances on one NATS', () => {
  it("list each other's keys, and a revocation by id on one is refused by the other within 2 s", async () => {
    const nc = await connect({ servers: h.nats.url });
    const other = createQueryApi({ nats: nc, storage: h.storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: silentLogger, keyCacheTtlMs: 500 });
    const otherUrl = `http://127.0.0.1:${(await other.start()).port}`;
    try {
      const t = await createTenant(h.url);
      const fromOther = await createKey({ merchant_id: t.merchantId, site_ids: [t.siteId], label: 'made on the other' }, otherUrl);
      const all = [await expected(t.readKey), await expected(fromOther)];
      expect((await list(t.merchantId)).keys).toEqual(all);
      expect((await list(t.merchantId, otherUrl)).keys).toEqual(all);

      // Good on the first instance (and cached there), revoked by id on the other.
      expect((await query(fromOther, t.siteId)).status).toBe(200);
      expect((await revokeById(t.merchantId, keyId(fromOther), otherUrl)).status).toBe(204);
      expect(await statusWithin2s(fromOther, t.siteId)).toBe(401);
      expect((await list(t.merchantId)).keys).toEqual([await expected(t.readKey)]);

      // And the other way round.
      expect((await query(t.readKey, t.siteId, otherUrl)).status).toBe(200);
      expect((await revokeById(t.merchantId, keyId(t.readKey))).status).toBe(204);
      expect(await statusWithin2s(t.readKey, t.siteId, otherUrl)).toBe(401);
      expect((await list(t.merchantId, otherUrl)).keys).toEqual([]);
    } finally {
      await other.stop(100);
      await nc.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('lists both routes with their answers and errors, the listing schema the answers are checked against, and key_id on creation', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/admin/merchants/{merchant_id}/keys'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/v1/admin/merchants/{merchant_id}/keys/{key_id}'])).toEqual(['delete']);
    expect(Object.keys(doc.paths['/v1/admin/merchants/{merchant_id}/keys'].get.responses).sort()).toEqual(['200', '400', '401', '404', '503']);
    expect(Object.keys(doc.paths['/v1/admin/merchants/{merchant_id}/keys/{key_id}'].delete.responses).sort()).toEqual(['204', '400', '401', '404', '503']);
    expect(doc.paths['/v1/admin/merchants/{merchant_id}/keys'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ReadKeyList' });
    expect(doc.components.schemas.ReadKeyList).toEqual(JSON.parse(JSON.stringify(READ_KEY_LIST_SCHEMA)));
    const create = doc.paths['/v1/admin/keys'].post.responses;
    expect(create['201'].content['application/json'].schema.required).toEqual(['read_key', 'key_id', 'merchant_id']);
    expect(create['409'].description).toContain('too_many_read_keys');
  });
});
