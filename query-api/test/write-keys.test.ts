import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_WRITE_KEYS, encodeRecord, type WriteKeyRecord } from '@pulse/protocol';
import type { KV } from 'nats';
import { KV_SITE_WRITE_KEYS } from '../src/index.js';
import { WRITE_KEY_LIST_SCHEMA } from '../src/admin/schemas.js';
import { validate } from '../src/schema/json-schema.js';
import { ADMIN_TOKEN, call, createTenant, startHarness, type Harness } from './harness.js';

let h: Harness;
let writeKeys: KV;
beforeAll(async () => {
  h = await startHarness({ keyCacheTtlMs: 500 });
  writeKeys = await h.nc.jetstream().views.kv(KV_WRITE_KEYS);
});
afterAll(async () => h?.close());

const admin = (method: string, path: string) => call(h.url, method, path, { token: ADMIN_TOKEN });
const keyId = (key: string) => `wkid_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const randomKey = () => `wk_${Array.from({ length: 32 }, () => B62[Math.floor(Math.random() * 62)]).join('')}`;

interface Listed {
  key_id: string;
  key_prefix: string;
  created_at: number;
  revoked: boolean;
  revoked_at: number | null;
}

async function list(siteId: string): Promise<{ keys: Listed[]; text: string }> {
  const r = await admin('GET', `/v1/admin/sites/${siteId}/keys`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  // The answer is what the OpenAPI document says it is.
  validate(WRITE_KEY_LIST_SCHEMA, r.body);
  expect(r.body.site_id).toBe(siteId);
  return { keys: r.body.keys, text: JSON.stringify(r.body) };
}

const byId = (keys: Listed[], key: string) => keys.find((k) => k.key_id === keyId(key));

describe('GET /v1/admin/sites/{site_id}/keys', () => {
  it("lists the site's key, and the new one after POST, by id and prefix, never whole", async () => {
    const before = Date.now();
    const t = await createTenant(h.url);
    const first = await list(t.siteId);
    expect(first.keys).toEqual([
      { key_id: keyId(t.writeKey), key_prefix: t.writeKey.slice(0, 8), created_at: expect.any(Number), revoked: false, revoked_at: null },
    ]);
    expect(first.keys[0]!.created_at).toBeGreaterThanOrEqual(before);

    const added = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    expect(added.status).toBe(201);
    const second = await list(t.siteId);
    // Oldest first.
    expect(second.keys.map((k) => k.key_id)).toEqual([keyId(t.writeKey), keyId(added.body.write_key)]);
    expect(byId(second.keys, added.body.write_key)).toMatchObject({ key_prefix: added.body.write_key.slice(0, 8), revoked: false, revoked_at: null });
    // No secret beyond the 8-character prefix: neither key, nor any 9 characters of one, is in the answer.
    for (const key of [t.writeKey, added.body.write_key as string]) {
      for (let i = 0; i + 9 <= key.length; i++) expect(second.text).not.toContain(key.slice(i, i + 9));
    }
  });

  it("never shows another site's keys, of the same merchant or another", async () => {
    const a = await createTenant(h.url);
    const b = await createTenant(h.url);
    const sibling = await call(h.url, 'POST', '/v1/admin/sites', { token: ADMIN_TOKEN, body: { merchant_id: a.merchantId, domain: 'sibling.example' } });
    const extraB = await call(h.url, 'POST', `/v1/admin/sites/${b.siteId}/keys`, { token: ADMIN_TOKEN });
    const listed = await list(a.siteId);
    expect(listed.keys.map((k) => k.key_id)).toEqual([keyId(a.writeKey)]);
    for (const other of [b.writeKey, extraB.body.write_key, sibling.body.write_key]) {
      expect(byId(listed.keys, other)).toBeUndefined();
      expect(listed.text).not.toContain(other.slice(3, 12));
    }
    expect((await list(b.siteId)).keys.map((k) => k.key_id)).toEqual([keyId(b.writeKey), keyId(extraB.body.write_key)]);
  });

  it('shows a key revoked with DELETE /v1/admin/keys/{key} as revoked, with when', async () => {
    const t = await createTenant(h.url);
    const next = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    const before = Date.now();
    expect((await admin('DELETE', `/v1/admin/keys/${t.writeKey}`)).status).toBe(204);
    const after = Date.now();
    const { keys } = await list(t.siteId);
    expect(keys).toHaveLength(2);
    const old = byId(keys, t.writeKey)!;
    expect(old.revoked).toBe(true);
    expect(old.revoked_at).toBeGreaterThanOrEqual(before);
    expect(old.revoked_at).toBeLessThanOrEqual(after);
    expect(byId(keys, next.body.write_key)).toMatchObject({ revoked: false, revoked_at: null });
  });

  it('shows a key deleted from PULSE_WRITE_KEYS by another writer as revoked, and lists keys stored there directly', async () => {
    const t = await createTenant(h.url);
    // Another writer (an older instance, or `nats kv del`) revokes without touching the index.
    await writeKeys.delete(t.writeKey);
    // A key stored without the index (as before it existed): the listing catches up with the bucket.
    const direct = randomKey();
    const createdAt = Date.now() - 60_000;
    await writeKeys.put(direct, encodeRecord({ site_id: t.siteId, merchant_id: t.merchantId, created_at: createdAt } satisfies WriteKeyRecord));
    const { keys } = await list(t.siteId);
    expect(byId(keys, t.writeKey)).toMatchObject({ revoked: true, revoked_at: expect.any(Number) });
    expect(keys[0]).toEqual({ key_id: keyId(direct), key_prefix: direct.slice(0, 8), created_at: createdAt, revoked: false, revoked_at: null });
    // It can be revoked by the id the listing gave.
    expect((await admin('DELETE', `/v1/admin/sites/${t.siteId}/keys/${keyId(direct)}`)).status).toBe(204);
    expect((await writeKeys.get(direct))?.operation).toBe('DEL');
  });

  it('answers 404 not_found for an unknown site, a typed 400 for a malformed site id, 401 without the admin token', async () => {
    const unknown = await admin('GET', '/v1/admin/sites/s_0000000000000000/keys');
    expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    expect(unknown.body).toEqual((await admin('GET', '/v1/admin/sites/s_0000000000000000')).body);
    for (const bad of ['not-a-site', 's_short', 'm_0000000000000000']) {
      const r = await admin('GET', `/v1/admin/sites/${bad}/keys`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toMatch(/^site_id: /);
    }
    const t = await createTenant(h.url);
    for (const token of [undefined, t.readKey, t.writeKey, 'wrong-token']) {
      const r = await call(h.url, 'GET', `/v1/admin/sites/${t.siteId}/keys`, token ? { token } : {});
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
  });

  it('lists a site\'s keys from one record of its own among many keys of many sites', async () => {
    const t = await createTenant(h.url);
    const small = await createTenant(h.url);
    // 4,000 keys of 2,000 other sites and 1,000 more of this one, stored in PULSE_WRITE_KEYS directly.
    const mine: string[] = [];
    const puts: Promise<unknown>[] = [];
    for (let i = 0; i < 4_000; i++) {
      const site = `s_${String(i % 2_000).padStart(16, 'x')}`;
      puts.push(writeKeys.put(randomKey(), encodeRecord({ site_id: site, merchant_id: t.merchantId, created_at: Date.now() })));
    }
    for (let i = 0; i < 1_000; i++) {
      const key = randomKey();
      mine.push(key);
      puts.push(writeKeys.put(key, encodeRecord({ site_id: t.siteId, merchant_id: t.merchantId, created_at: Date.now() + i })));
    }
    await Promise.all(puts);
    // The first listing indexes the 5,000 new keys (a catch-up); the next ones read one record.
    expect((await list(t.siteId)).keys).toHaveLength(1_001);
    const started = performance.now();
    const again = await list(t.siteId);
    const manyMs = performance.now() - started;
    expect(new Set(again.keys.map((k) => k.key_id))).toEqual(new Set([t.writeKey, ...mine].map(keyId)));
    const smallStarted = performance.now();
    expect((await list(small.siteId)).keys.map((k) => k.key_id)).toEqual([keyId(small.writeKey)]);
    const smallMs = performance.now() - smallStarted;
    // The site's keys sit in one record under its id: a listing reads it and nothing of other sites.
    const index = await h.nc.jetstream().views.kv(KV_SITE_WRITE_KEYS);
    const record = JSON.parse(new TextDecoder().decode((await index.get(t.siteId))!.value)) as { keys: { key: string }[] };
    expect(record.keys.map((k) => k.key).sort()).toEqual([t.writeKey, ...mine].sort());
    const entries = (await index.status()).values;
    // Printed, not asserted: speed is the benchmarks' business; what keeps it is the one record above.
    process.stderr.write(`${entries} entries in the index (site records, owner entries): listing 1,001 keys of one ${manyMs.toFixed(0)} ms, 1 key ${smallMs.toFixed(1)} ms\n`);
  });

  it('keeps at most 2,000 keys a site: the oldest revoked make room, 2,000 live ones refuse another (409)', async () => {
    const t = await createTenant(h.url);
    const extra: string[] = [];
    await Promise.all(
      Array.from({ length: 1_999 }, async (_, i) => {
        const key = randomKey();
        extra.push(key);
        await writeKeys.put(key, encodeRecord({ site_id: t.siteId, merchant_id: t.merchantId, created_at: Date.now() - 10_000 + i }));
      }),
    );
    expect((await list(t.siteId)).keys).toHaveLength(2_000);
    const full = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    expect({ status: full.status, code: full.body.error.code }).toEqual({ status: 409, code: 'too_many_write_keys' });
    expect(full.body.error.message).toContain(t.siteId);
    // Revoking one makes room: the revoked key is the one forgotten.
    expect((await admin('DELETE', `/v1/admin/keys/${t.writeKey}`)).status).toBe(204);
    const added = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    expect(added.status).toBe(201);
    const { keys } = await list(t.siteId);
    expect(keys).toHaveLength(2_000);
    expect(byId(keys, t.writeKey)).toBeUndefined();
    expect(keys.at(-1)).toMatchObject({ key_id: keyId(added.body.write_key), revoked: false });
    expect(keys.every((k) => !k.revoked)).toBe(true);
  });
});

describe('DELETE /v1/admin/sites/{site_id}/keys/{key_id}', () => {
  it('revokes the key the id names: it leaves PULSE_WRITE_KEYS and lists as revoked; a second time is 404', async () => {
    const t = await createTenant(h.url);
    const next = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    const { keys } = await list(t.siteId);
    const target = byId(keys, t.writeKey)!;
    expect((await admin('DELETE', `/v1/admin/sites/${t.siteId}/keys/${target.key_id}`)).status).toBe(204);
    expect((await writeKeys.get(t.writeKey))?.operation).toBe('DEL');
    expect((await writeKeys.get(next.body.write_key))?.operation).toBe('PUT');
    const after = await list(t.siteId);
    expect(byId(after.keys, t.writeKey)).toMatchObject({ revoked: true, revoked_at: expect.any(Number) });
    expect(byId(after.keys, next.body.write_key)).toMatchObject({ revoked: false });
    const again = await admin('DELETE', `/v1/admin/sites/${t.siteId}/keys/${target.key_id}`);
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 404, code: 'not_found' });
  });

  it("never revokes another site's key: its id under this site is 404 and the key keeps working", async () => {
    const a = await createTenant(h.url);
    const b = await createTenant(h.url);
    const r = await admin('DELETE', `/v1/admin/sites/${a.siteId}/keys/${keyId(b.writeKey)}`);
    expect({ status: r.status, code: r.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    expect((await writeKeys.get(b.writeKey))?.operation).toBe('PUT');
    expect(byId((await list(b.siteId)).keys, b.writeKey)).toMatchObject({ revoked: false });
  });

  it('validates both ids with a typed 400, answers 404 for an unknown site and 401 without the admin token', async () => {
    const t = await createTenant(h.url);
    const id = keyId(t.writeKey);
    const badSite = await admin('DELETE', `/v1/admin/sites/nope/keys/${id}`);
    expect({ status: badSite.status, code: badSite.body.error.code }).toEqual({ status: 400, code: 'invalid_request' });
    expect(badSite.body.error.message).toMatch(/^site_id: /);
    // The key itself is not its id: the secret never goes into this path.
    for (const bad of [t.writeKey, 'wkid_XYZ', 'wkid_0123456789abcdef0']) {
      const r = await admin('DELETE', `/v1/admin/sites/${t.siteId}/keys/${bad}`);
      expect({ status: r.status, code: r.body.error.code }).toEqual({ status: 400, code: 'invalid_request' });
      expect(r.body.error.message).toMatch(/^key_id: /);
    }
    expect((await admin('DELETE', `/v1/admin/sites/s_0000000000000000/keys/${id}`)).status).toBe(404);
    expect((await call(h.url, 'DELETE', `/v1/admin/sites/${t.siteId}/keys/${id}`, { token: t.readKey })).status).toBe(401);
    expect((await writeKeys.get(t.writeKey))?.operation).toBe('PUT');
  });

  it('is in the OpenAPI document, with the listing schema the answers are checked against', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/admin/sites/{site_id}/keys']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/admin/sites/{site_id}/keys/{key_id}'])).toEqual(['delete']);
    expect(doc.components.schemas.WriteKeyList).toEqual(JSON.parse(JSON.stringify(WRITE_KEY_LIST_SCHEMA)));
    expect(Object.keys(doc.paths['/v1/admin/sites/{site_id}/keys'].get.responses).sort()).toEqual(['200', '400', '401', '404', '503']);
  });
});

describe('a write key deleted or purged in PULSE_WRITE_KEYS directly (nats kv del / purge, not the admin API)', () => {
  it('leaves the index while the API runs: it no longer holds one of the 2,000 places a site has', async () => {
    const t = await createTenant(h.url);
    const stored = await Promise.all(
      Array.from({ length: 1_999 }, async (_, i) => {
        const key = randomKey();
        await writeKeys.put(key, encodeRecord({ site_id: t.siteId, merchant_id: t.merchantId, created_at: Date.now() - 10_000 + i }));
        return key;
      }),
    );
    // The listing's catch-up indexes them: the site is full.
    expect((await list(t.siteId)).keys).toHaveLength(2_000);
    const full = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    expect({ status: full.status, code: full.body.error.code }).toEqual({ status: 409, code: 'too_many_write_keys' });

    const [deleted, purged] = [stored[0]!, stored[1]!];
    await writeKeys.delete(deleted);
    await writeKeys.purge(purged);
    // No listing (no catch-up) in between: the API's watch of PULSE_WRITE_KEYS alone frees their places.
    const until = Date.now() + 5_000;
    let first = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    while (first.status === 409 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      first = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    }
    expect(first.status).toBe(201);
    const second = await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: ADMIN_TOKEN });
    expect(second.status).toBe(201);

    const { keys } = await list(t.siteId);
    expect(keys).toHaveLength(2_000);
    expect(keys.every((k) => !k.revoked)).toBe(true);
    // Revoked, then forgotten to make room for the two new ones.
    expect(byId(keys, deleted)).toBeUndefined();
    expect(byId(keys, purged)).toBeUndefined();
    expect(keys.slice(-2).map((k) => k.key_id)).toEqual([keyId(first.body.write_key), keyId(second.body.write_key)]);
  });
});
