import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_READ_KEYS, KV_SITES, KV_WRITE_KEYS, decodeRecord, type SiteRecord } from '@pulse/protocol';
import { KV_MERCHANT_SITES } from '../src/index.js';
import { ADMIN_TOKEN, call, createTenant, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ keyCacheTtlMs: 500 });
});
afterAll(async () => h?.close());

const admin = (method: string, path: string, body?: unknown) => call(h.url, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });

describe('admin API', () => {
  it('creates a merchant, a site with its write key, and a read key, all in NATS KV', async () => {
    const m = await admin('POST', '/v1/admin/merchants', { name: 'Acme' });
    expect(m.status).toBe(201);
    expect(m.body.merchant_id).toMatch(/^m_[0-9A-Za-z]{16}$/);
    expect(m.body.name).toBe('Acme');

    const s = await admin('POST', '/v1/admin/sites', { merchant_id: m.body.merchant_id, domain: 'Acme.example', timezone: 'Europe/Paris' });
    expect(s.status).toBe(201);
    expect(s.body.site_id).toMatch(/^s_[0-9A-Za-z]{16}$/);
    expect(s.body.write_key).toMatch(/^wk_[0-9A-Za-z]{32}$/);
    expect(s.body.site).toMatchObject({ merchant_id: m.body.merchant_id, domain: 'acme.example', timezone: 'Europe/Paris', settings: { excluded_paths: [] } });

    const k = await admin('POST', '/v1/admin/keys', { merchant_id: m.body.merchant_id });
    expect(k.status).toBe(201);
    expect(k.body.read_key).toMatch(/^rk_[0-9A-Za-z]{32}$/);

    const js = h.nc.jetstream();
    const site = await (await js.views.kv(KV_SITES)).get(s.body.site_id);
    expect(decodeRecord<SiteRecord>(site!.value).merchant_id).toBe(m.body.merchant_id);
    const wk = await (await js.views.kv(KV_WRITE_KEYS)).get(s.body.write_key);
    expect(decodeRecord<{ site_id: string }>(wk!.value).site_id).toBe(s.body.site_id);
    const rk = await (await js.views.kv(KV_READ_KEYS)).get(k.body.read_key);
    expect(decodeRecord<{ merchant_id: string }>(rk!.value).merchant_id).toBe(m.body.merchant_id);
    const idx = await (await js.views.kv(KV_MERCHANT_SITES)).get(`${m.body.merchant_id}.${s.body.site_id}`);
    expect(idx?.operation).toBe('PUT');

    const got = await admin('GET', `/v1/admin/sites/${s.body.site_id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(s.body.site);
  });

  it("issues another write key for a site, so a leaked one can be rotated out", async () => {
    const t = await createTenant(h.url);
    const kv = await h.nc.jetstream().views.kv(KV_WRITE_KEYS);
    const k = await admin('POST', `/v1/admin/sites/${t.siteId}/keys`);
    expect(k.status).toBe(201);
    expect(k.body).toEqual({ write_key: expect.stringMatching(/^wk_[0-9A-Za-z]{32}$/), site_id: t.siteId });
    expect(k.body.write_key).not.toBe(t.writeKey);
    // The old key revoked, the new one still names the site.
    expect((await admin('DELETE', `/v1/admin/keys/${t.writeKey}`)).status).toBe(204);
    expect((await kv.get(t.writeKey))?.operation).not.toBe('PUT');
    expect(decodeRecord<{ site_id: string; merchant_id: string }>((await kv.get(k.body.write_key))!.value)).toMatchObject({
      site_id: t.siteId,
      merchant_id: t.merchantId,
    });
    const unknown = await admin('POST', '/v1/admin/sites/s_0000000000000000/keys');
    expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    // A malformed id is a bad request, as on the listing and the revocation by id.
    const malformed = await admin('POST', '/v1/admin/sites/not-a-site/keys');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^site_id/);
    expect((await call(h.url, 'POST', `/v1/admin/sites/${t.siteId}/keys`, { token: t.readKey })).status).toBe(401);
  });

  it('patches site settings and the change is visible in KV', async () => {
    const t = await createTenant(h.url);
    const p = await admin('PATCH', `/v1/admin/sites/${t.siteId}`, { settings: { excluded_paths: ['/admin/*'] } });
    expect(p.status).toBe(200);
    expect(p.body.settings.excluded_paths).toEqual(['/admin/*']);
    const tz = await admin('PATCH', `/v1/admin/sites/${t.siteId}`, { timezone: 'Asia/Kolkata' });
    expect(tz.body).toMatchObject({ timezone: 'Asia/Kolkata', settings: { excluded_paths: ['/admin/*'] } });
    const kv = await h.nc.jetstream().views.kv(KV_SITES);
    expect(decodeRecord<SiteRecord>((await kv.get(t.siteId))!.value).settings.excluded_paths).toEqual(['/admin/*']);
    expect((await admin('PATCH', `/v1/admin/sites/${t.siteId}`, { settings: { excluded_paths: ['admin'] } })).body.error.message).toMatch(
      /^settings\.excluded_paths\[0\]: /,
    );
    expect((await admin('PATCH', `/v1/admin/sites/${t.siteId}`, { settings: { nope: 1 } })).status).toBe(400);
    expect((await admin('PATCH', '/v1/admin/sites/s_0000000000000000', { settings: {} })).status).toBe(404);
  });

  it('takes allowed_hostnames and excluded_countries next to excluded_paths, and refuses bad entries naming them', async () => {
    const t = await createTenant(h.url);
    const patch = (settings: Record<string, unknown>) => admin('PATCH', `/v1/admin/sites/${t.siteId}`, { settings });
    await patch({ excluded_paths: ['/admin/*'] });
    const rules = { allowed_hostnames: ['example.com', '*.Example.com', 'localhost', '*', 'example.com'], excluded_countries: ['RU', 'XX'] };
    const p = await patch(rules);
    expect(p.status).toBe(200);
    // Merged key by key: excluded_paths untouched; duplicates kept as given (they change nothing).
    expect(p.body.settings).toEqual({ excluded_paths: ['/admin/*'], ...rules });
    const kv = await h.nc.jetstream().views.kv(KV_SITES);
    expect(decodeRecord<SiteRecord>((await kv.get(t.siteId))!.value).settings).toEqual(p.body.settings);
    expect((await patch({ allowed_hostnames: [] })).body.settings).toEqual({ excluded_paths: ['/admin/*'], allowed_hostnames: [], excluded_countries: ['RU', 'XX'] });

    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [{ allowed_hostnames: ['example.com:8080'] }, /^settings\.allowed_hostnames\[0\]: .*invalid format/],
      [{ allowed_hostnames: ['ok.example', 'https://example.com'] }, /^settings\.allowed_hostnames\[1\]: /],
      [{ allowed_hostnames: ['example.com/path'] }, /^settings\.allowed_hostnames\[0\]: /],
      [{ allowed_hostnames: ['a..example'] }, /^settings\.allowed_hostnames\[0\]: /],
      [{ allowed_hostnames: ['.example.com'] }, /^settings\.allowed_hostnames\[0\]: /],
      [{ allowed_hostnames: [''] }, /^settings\.allowed_hostnames\[0\]: must not be empty/],
      [{ allowed_hostnames: [`${'a'.repeat(250)}.com`] }, /^settings\.allowed_hostnames\[0\]: must be at most 253/],
      [{ allowed_hostnames: 'example.com' }, /^settings\.allowed_hostnames: must be an array/],
      [{ allowed_hostnames: Array.from({ length: 101 }, (_, i) => `h${i}.example`) }, /^settings\.allowed_hostnames: must have at most 100 items/],
      [{ excluded_countries: ['de'] }, /^settings\.excluded_countries\[0\]: .*invalid format/],
      [{ excluded_countries: ['DE', 'DEU'] }, /^settings\.excluded_countries\[1\]: /],
      [{ excluded_countries: [''] }, /^settings\.excluded_countries\[0\]: /],
      [{ excluded_countries: [49] }, /^settings\.excluded_countries\[0\]: must be a string/],
      [{ excluded_countries: Array.from({ length: 251 }, () => 'DE') }, /^settings\.excluded_countries: must have at most 250 items/],
    ];
    for (const [settings, message] of refused) {
      const r = await patch(settings);
      expect({ settings, status: r.status, code: r.body.error.code }).toEqual({ settings, status: 400, code: 'invalid_request' });
      expect(r.body.error.message).toMatch(message);
    }
    // Nothing refused was stored.
    expect(decodeRecord<SiteRecord>((await kv.get(t.siteId))!.value).settings).toEqual({ excluded_paths: ['/admin/*'], allowed_hostnames: [], excluded_countries: ['RU', 'XX'] });
  });

  it('validates admin bodies and names the field', async () => {
    const noName = await admin('POST', '/v1/admin/merchants', {});
    expect(noName.status).toBe(400);
    expect(noName.body.error.message).toMatch(/^name: /);
    const badDomain = await admin('POST', '/v1/admin/sites', { merchant_id: 'm_0000000000000000', domain: 'not a domain' });
    expect(badDomain.body.error.message).toMatch(/^domain: /);
    const badTz = await admin('POST', '/v1/admin/sites', { merchant_id: 'm_0000000000000000', domain: 'a.example', timezone: 'Nowhere/City' });
    expect(badTz.body.error.message).toMatch(/^timezone: /);
    expect((await admin('POST', '/v1/admin/sites', { merchant_id: 'm_0000000000000000', domain: 'a.example' })).status).toBe(404);
    expect((await admin('POST', '/v1/admin/keys', { merchant_id: 'm_0000000000000000' })).status).toBe(404);
    expect((await admin('GET', '/v1/admin/sites/s_0000000000000000')).status).toBe(404);
    expect((await admin('DELETE', '/v1/admin/keys/rk_doesnotexist')).status).toBe(404);
  });

  it('refuses admin calls without the admin token, and read keys are not admin tokens', async () => {
    const t = await createTenant(h.url);
    for (const token of [undefined, 'wrong-token', t.readKey, t.writeKey, `${ADMIN_TOKEN}x`]) {
      const r = await call(h.url, 'POST', '/v1/admin/merchants', { ...(token ? { token } : {}), body: { name: 'x' } });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
    expect((await call(h.url, 'DELETE', `/v1/admin/keys/${t.readKey}`, { token: t.readKey })).status).toBe(401);
    expect((await call(h.url, 'GET', `/v1/admin/sites/${t.siteId}`)).status).toBe(401);
  });
});

describe('read keys', () => {
  const q = (key: string | undefined, siteId: string) =>
    call(h.url, 'POST', '/v1/query', {
      ...(key ? { token: key } : {}),
      body: { site_id: siteId, metrics: ['pageviews'], date_range: '7d' },
    });

  it('need a valid key', async () => {
    const t = await createTenant(h.url);
    expect((await q(undefined, t.siteId)).status).toBe(401);
    expect((await q('rk_' + 'x'.repeat(32), t.siteId)).status).toBe(401);
    expect((await q('garbage key', t.siteId)).status).toBe(401);
    expect((await q(t.writeKey, t.siteId)).status).toBe(401);
    expect((await q(ADMIN_TOKEN, t.siteId)).status).toBe(401);
    expect((await q(t.readKey, t.siteId)).status).toBe(200);
  });

  it("see only their merchant's sites: another merchant's site is 404 like a missing one", async () => {
    const a = await createTenant(h.url);
    const b = await createTenant(h.url);
    const other = await q(a.readKey, b.siteId);
    const missing = await q(a.readKey, 's_0000000000000000');
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body).toEqual(missing.body);
    const rt = await call(h.url, 'GET', `/v1/realtime?site_id=${b.siteId}`, { token: a.readKey });
    expect(rt.status).toBe(404);
  });

  it('list their merchant sites at GET /v1/sites', async () => {
    const a = await createTenant(h.url);
    const second = await admin('POST', '/v1/admin/sites', { merchant_id: a.merchantId, domain: 'second.example' });
    await createTenant(h.url);
    const r = await call(h.url, 'GET', '/v1/sites', { token: a.readKey });
    expect(r.status).toBe(200);
    expect(r.body.sites.map((s: { site_id: string }) => s.site_id)).toEqual([a.siteId, second.body.site_id]);
    expect(r.body.sites[1]).toMatchObject({ domain: 'second.example', timezone: 'UTC' });
    expect((await call(h.url, 'GET', '/v1/sites')).status).toBe(401);
  });

  it('stop working within 2 s of revocation; a revoked write key leaves KV', async () => {
    const t = await createTenant(h.url);
    expect((await q(t.readKey, t.siteId)).status).toBe(200);
    expect((await admin('DELETE', `/v1/admin/keys/${t.readKey}`)).status).toBe(204);
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 2000) {
      status = (await q(t.readKey, t.siteId)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect((await admin('DELETE', `/v1/admin/keys/${t.readKey}`)).status).toBe(404);

    expect((await admin('DELETE', `/v1/admin/keys/${t.writeKey}`)).status).toBe(204);
    const wk = await (await h.nc.jetstream().views.kv(KV_WRITE_KEYS)).get(t.writeKey);
    expect(wk?.operation).not.toBe('PUT');
  });

  it('revocation through KV by another instance is honoured after the cache TTL', async () => {
    const t = await createTenant(h.url);
    expect((await q(t.readKey, t.siteId)).status).toBe(200);
    // Deleting the key in KV directly is what another query API instance's revoke does.
    await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).delete(t.readKey);
    await new Promise((r) => setTimeout(r, 700));
    expect((await q(t.readKey, t.siteId)).status).toBe(401);
  });
});
