import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_READ_KEYS, decodeRecord, encodeRecord, type ReadKeyRecord } from '@pulse/protocol';
import { ADMIN_TOKEN, call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Reply, type Tenant } from './harness.js';

/**
 * Read keys scoped to chosen sites (`site_ids`): merchant A has sites A1 and A2, merchant B has
 * B1. Each site has its own number of pageviews, so an answer holding another site's rows shows
 * a number its own site cannot have.
 */
const RANGE = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
const PAGEVIEWS = { a1: 3, a2: 7, b1: 11 };
const NOT_FOUND = { error: { code: 'not_found', message: 'site not found' } };
/** Every new key's id (test/read-keys-admin.test.ts checks which). */
const KEY_ID = expect.stringMatching(/^rkid_[0-9a-f]{16}$/);

let h: Harness;
let a: Tenant;
let b: Tenant;
let a2: string;
/** Reads A1 only. */
let a1Key: string;

const admin = (method: string, path: string, body?: unknown) => call(h.url, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });

async function createKey(body: Record<string, unknown>): Promise<Reply> {
  return admin('POST', '/v1/admin/keys', body);
}

/** A read key written straight into the bucket, as a record made before scoped keys (or by hand). */
async function storedKey(rec: Record<string, unknown>): Promise<string> {
  const key = `rk_${Array.from({ length: 32 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 62)]).join('')}`;
  await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).create(key, encodeRecord(rec));
  return key;
}

async function readKeyCount(): Promise<number> {
  let n = 0;
  for await (const _ of await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).keys()) n++;
  return n;
}

const query = (key: string, siteId: string, headers: Record<string, string> = {}) =>
  call(h.url, 'POST', '/v1/query', { token: key, headers, body: { site_id: siteId, metrics: ['pageviews'], date_range: RANGE } });
const csv = (key: string, siteId: string, headers: Record<string, string> = {}) => query(key, siteId, { accept: 'text/csv', ...headers });
const funnel = (key: string, siteId: string, headers: Record<string, string> = {}) =>
  call(h.url, 'POST', '/v1/funnel', { token: key, headers, body: { site_id: siteId, date_range: RANGE, steps: [{ page: '/' }, { page: '/pricing' }] } });
const realtime = (key: string, siteId: string, headers: Record<string, string> = {}) =>
  call(h.url, 'GET', `/v1/realtime?site_id=${siteId}`, { token: key, headers });
const siteIds = async (key: string) => {
  const r = await call(h.url, 'GET', '/v1/sites', { token: key });
  expect(r.status).toBe(200);
  return (r.body.sites as { site_id: string }[]).map((s) => s.site_id);
};

/** Every read route that takes a site, by name. */
const READS = { query, csv, funnel, realtime } as const;

/** The answer a site the key may not read gets: exactly another merchant's 404, nothing more. */
function expectHidden(r: Reply, label: string): void {
  expect([label, r.status, r.body], label).toEqual([label, 404, NOT_FOUND]);
  expect(r.headers.get('content-type'), label).toMatch(/^application\/json/);
  expect(r.headers.get('etag'), label).toBeNull();
  expect(r.headers.get('x-cache'), label).toBeNull();
}

beforeAll(async () => {
  h = await startHarness({ rateLimit: { perSecond: 10_000, burst: 10_000 } });
  a = await createTenant(h.url, { domain: 'a1.example' });
  b = await createTenant(h.url, { domain: 'b1.example' });
  const s = await admin('POST', '/v1/admin/sites', { merchant_id: a.merchantId, domain: 'a2.example' });
  expect(s.status).toBe(201);
  a2 = s.body.site_id;
  const k = await createKey({ merchant_id: a.merchantId, site_ids: [a.siteId], label: 'Client of A1' });
  expect(k.status).toBe(201);
  a1Key = k.body.read_key;
  const rows = [];
  for (const [site, n] of [[a.siteId, PAGEVIEWS.a1], [a2, PAGEVIEWS.a2], [b.siteId, PAGEVIEWS.b1]] as const) {
    for (let i = 0; i < n; i++) rows.push(eventRow({ site_id: site, ts: Date.parse('2026-01-10T10:00:00Z') + i * 1000, session_id: `${site}-${i}`, visitor_id: `${site}-${i}` }));
  }
  await insertEvents(h.storage, rows);
});
afterAll(async () => h?.close());

describe('POST /v1/admin/keys with site_ids and label', () => {
  it('answers 201 echoing the scope and note, and keeps both in the key record', async () => {
    const r = await createKey({ merchant_id: a.merchantId, site_ids: [a2, a.siteId], label: 'Agency: both shops' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ read_key: expect.stringMatching(/^rk_[0-9A-Za-z]{32}$/), key_id: KEY_ID, merchant_id: a.merchantId, site_ids: [a2, a.siteId], label: 'Agency: both shops' });
    const entry = await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).get(r.body.read_key);
    expect(decodeRecord<ReadKeyRecord>(entry!.value)).toEqual({ merchant_id: a.merchantId, created_at: expect.any(Number), site_ids: [a2, a.siteId], label: 'Agency: both shops' });
    // Both sites, oldest first (A1 was made before A2), whatever order the key named them in.
    expect(await siteIds(r.body.read_key)).toEqual([a.siteId, a2]);
  });

  it('without site_ids the key reads every site, and the answer and record say nothing of a scope', async () => {
    const r = await createKey({ merchant_id: a.merchantId });
    expect(r.body).toEqual({ read_key: expect.stringMatching(/^rk_/), key_id: KEY_ID, merchant_id: a.merchantId });
    const entry = await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).get(r.body.read_key);
    expect(Object.keys(decodeRecord<ReadKeyRecord>(entry!.value)).sort()).toEqual(['created_at', 'merchant_id']);
    const label = await createKey({ merchant_id: a.merchantId, label: '' });
    expect(label.body).toEqual({ read_key: expect.stringMatching(/^rk_/), key_id: KEY_ID, merchant_id: a.merchantId, label: '' });
    expect(await siteIds(label.body.read_key)).toEqual([a.siteId, a2]);
  });

  it('refuses a bad scope with an error naming the field, and stores no key', async () => {
    const before = await readKeyCount();
    const unknownSite = 's_0000000000000000';
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ site_ids: [] }, 400, 'invalid_request', 'site_ids: must have at least 1 item'],
      [{ site_ids: Array.from({ length: 101 }, (_, i) => `s_${String(i).padStart(16, '0')}`) }, 400, 'invalid_request', 'site_ids: must have at most 100 items'],
      [{ site_ids: [a.siteId, a2, a.siteId] }, 400, 'invalid_request', 'site_ids[2]: repeats site_ids[0]'],
      [{ site_ids: [a.siteId, 'nope'] }, 400, 'invalid_request', 'site_ids[1]: "nope" has an invalid format'],
      [{ site_ids: a.siteId }, 400, 'invalid_request', 'site_ids: must be an array'],
      [{ site_ids: [a.siteId, 7] }, 400, 'invalid_request', 'site_ids[1]: must be a string'],
      [{ label: 'x'.repeat(101) }, 400, 'invalid_request', 'label: must be at most 100 characters'],
      [{ label: 7 }, 400, 'invalid_request', 'label: must be a string'],
      // Another merchant's site and one that exists nowhere: the same answer, so B's site stays unknown to A's admin calls.
      [{ site_ids: [a.siteId, b.siteId] }, 404, 'not_found', 'site_ids[1]: no such site of this merchant'],
      [{ site_ids: [a.siteId, unknownSite] }, 404, 'not_found', 'site_ids[1]: no such site of this merchant'],
      [{ site_ids: [b.siteId, a.siteId] }, 404, 'not_found', 'site_ids[0]: no such site of this merchant'],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await createKey({ merchant_id: a.merchantId, ...body });
      expect([JSON.stringify(body).slice(0, 80), r.status, r.body]).toEqual([JSON.stringify(body).slice(0, 80), status, { error: { code, message } }]);
    }
    const noMerchant = await createKey({ merchant_id: 'm_0000000000000000', site_ids: [a.siteId] });
    expect([noMerchant.status, noMerchant.body]).toEqual([404, { error: { code: 'not_found', message: 'merchant not found' } }]);
    expect(await readKeyCount()).toBe(before);
    // The limits themselves are allowed: 100 characters of label.
    const longest = await createKey({ merchant_id: a.merchantId, site_ids: [a2], label: 'x'.repeat(100) });
    expect([longest.status, longest.body.label]).toEqual([201, 'x'.repeat(100)]);
  });

  it('is described in /openapi.json by the schema that validates it', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    const create = doc.components.schemas.CreateReadKey;
    expect(create.properties.site_ids).toMatchObject({ type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { pattern: '^s_[0-9A-Za-z]{16}$' } });
    expect(create.properties.label).toMatchObject({ type: 'string', maxLength: 100 });
    const op = doc.paths['/v1/admin/keys'].post;
    expect(Object.keys(op.responses['201'].content['application/json'].schema.properties)).toEqual(['read_key', 'key_id', 'merchant_id', 'site_ids', 'label']);
    expect(op.responses['404'].description).toContain('site_ids[1]: no such site of this merchant');
  });
});

describe('a key scoped to A1', () => {
  it('reads A1 on every endpoint', async () => {
    const q = await query(a1Key, a.siteId);
    expect([q.status, q.body.results]).toEqual([200, [{ dimensions: [], metrics: [PAGEVIEWS.a1] }]]);
    const c = await csv(a1Key, a.siteId);
    expect([c.status, c.headers.get('content-type'), c.body]).toEqual([200, 'text/csv; charset=utf-8; header=present', `pageviews\r\n${PAGEVIEWS.a1}\r\n`]);
    const f = await funnel(a1Key, a.siteId);
    expect([f.status, f.body.steps.map((s: { visits: number }) => s.visits)]).toEqual([200, [PAGEVIEWS.a1, 0]]);
    const rt = await realtime(a1Key, a.siteId);
    expect([rt.status, rt.body.meta.site_id]).toEqual([200, a.siteId]);
    expect(await siteIds(a1Key)).toEqual([a.siteId]);
  });

  it("gets for A2 (its own merchant's) and for B1 exactly the 404 of a site that does not exist", async () => {
    for (const [name, read] of Object.entries(READS)) {
      for (const site of [a2, b.siteId, 's_0000000000000000']) expectHidden(await read(a1Key, site), `${name} ${site}`);
    }
  });

  it('never gets a cached answer of a site it may not read, even right after a key that may cached it', async () => {
    for (const [name, read] of Object.entries(READS)) {
      // The merchant's unscoped key fills the cache for A2 (realtime's entry lives 5 s: asked at once).
      const warm = await read(a.readKey, a2);
      expect([name, warm.status]).toEqual([name, 200]);
      const again = await read(a.readKey, a2);
      const etag = again.headers.get('etag');
      // The cached answer (realtime says no x-cache; the same ETag shows it came from the entry).
      expect([name, etag]).toEqual([name, warm.headers.get('etag')]);
      if (name !== 'realtime') expect([name, again.headers.get('x-cache')]).toEqual([name, 'hit']);
      // The same request from the scoped key: 404, not the entry; with the entry's ETag: 404, not 304.
      expectHidden(await read(a1Key, a2), `${name} after the cache was filled`);
      expectHidden(await read(a1Key, a2, { 'if-none-match': etag! }), `${name} with the cached ETag`);
    }
    // Asked at the same moment as an unscoped key computing it (the in-flight answer is shared by key, too).
    const body = { site_id: a2, metrics: ['pageviews'], date_range: { from: '2026-01-02T00:00:00Z', to: RANGE.to } };
    const [open, scoped] = await Promise.all([
      call(h.url, 'POST', '/v1/query', { token: a.readKey, body }),
      call(h.url, 'POST', '/v1/query', { token: a1Key, body }),
    ]);
    expect([open.status, open.body.results]).toEqual([200, [{ dimensions: [], metrics: [PAGEVIEWS.a2] }]]);
    expectHidden(scoped, 'in flight');
    // Its own site may come from the cache another key filled: the same site, the same numbers.
    const filled = await query(a.readKey, a.siteId);
    expect(filled.status).toBe(200);
    const own = await query(a1Key, a.siteId);
    expect([own.status, own.headers.get('x-cache'), own.body.results]).toEqual([200, 'hit', [{ dimensions: [], metrics: [PAGEVIEWS.a1] }]]);
  });

  it('stops working within 2 s of its revocation', async () => {
    const k = await createKey({ merchant_id: a.merchantId, site_ids: [a.siteId] });
    expect((await query(k.body.read_key, a.siteId)).status).toBe(200);
    expect((await admin('DELETE', `/v1/admin/keys/${k.body.read_key}`)).status).toBe(204);
    const revokedAt = Date.now();
    let status = 0;
    while (Date.now() - revokedAt < 2_000) {
      status = (await query(k.body.read_key, a.siteId)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect((await call(h.url, 'GET', '/v1/sites', { token: k.body.read_key })).status).toBe(401);
  });
});

describe('records written before scoped keys, or by hand', () => {
  it('a record without site_ids reads every site of its merchant and nothing of another', async () => {
    const key = await storedKey({ merchant_id: a.merchantId, created_at: Date.now() });
    expect(await siteIds(key)).toEqual([a.siteId, a2]);
    for (const [site, n] of [[a.siteId, PAGEVIEWS.a1], [a2, PAGEVIEWS.a2]] as const) {
      const r = await query(key, site);
      expect([r.status, r.body.results]).toEqual([200, [{ dimensions: [], metrics: [n] }]]);
    }
    for (const [name, read] of Object.entries(READS)) expectHidden(await read(key, b.siteId), `${name} B1`);
  });

  it("a scope naming another merchant's site does not reach it; a malformed scope reads nothing", async () => {
    const mixed = await storedKey({ merchant_id: a.merchantId, created_at: Date.now(), site_ids: [b.siteId, a.siteId] });
    expect(await siteIds(mixed)).toEqual([a.siteId]);
    expectHidden(await query(mixed, b.siteId), 'B1 named in the scope');
    expect((await query(mixed, a.siteId)).status).toBe(200);
    for (const scope of [null, 'all', {}, []]) {
      const key = await storedKey({ merchant_id: a.merchantId, created_at: Date.now(), site_ids: scope });
      expect(await siteIds(key)).toEqual([]);
      expectHidden(await query(key, a.siteId), `site_ids ${JSON.stringify(scope)}`);
    }
  });
});
