import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { tempDir, type TempDir } from '@pulse/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_REQUEST_SCHEMA } from '../src/query/schema.js';
import { CACHE_INVALIDATE_SUBJECT, createQueryApi, silentLogger, type ReplayAdmin } from '../src/index.js';
import { DEFAULT_MAX_BODY_BYTES } from '../src/http/respond.js';
import { KV_STATE } from '@pulse/protocol';
import { WATERMARK_KEY as AGGREGATOR_WATERMARK_KEY } from '@pulse/aggregator';
import { WATERMARK_KEY } from '../src/freshness.js';
import { ADMIN_TOKEN, call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Reply, type Tenant } from './harness.js';

/** A GET with the path sent exactly as given (fetch would normalise the dot segments away). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(h.url);
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const NOW = Date.parse('2026-02-10T12:00:30Z');
let h: Harness;
let t: Tenant;
let site: TempDir;

beforeAll(async () => {
  site = tempDir('pulse-static-');
  writeFileSync(join(site.path, 'index.html'), '<!doctype html><title>Pulse</title>');
  mkdirSync(join(site.path, 'assets'));
  writeFileSync(join(site.path, 'assets', 'app.js'), 'console.log(1)');
  h = await startHarness({ staticDir: site.path, now: () => NOW, rateLimit: { perSecond: 2, burst: 5 }, freshnessRefreshMs: 1 });
  t = await createTenant(h.url);
  await insertEvents(h.storage, [
    eventRow({ site_id: t.siteId, ts: NOW - 30_000, visitor_id: 'a', session_id: 'a' }),
    eventRow({ site_id: t.siteId, ts: NOW - 20_000, visitor_id: 'b', session_id: 'b' }),
    eventRow({ site_id: t.siteId, ts: NOW - 4 * 60_000, visitor_id: 'c', session_id: 'c', name: 'click' }),
    eventRow({ site_id: t.siteId, ts: NOW - 10 * 60_000, visitor_id: 'd', session_id: 'd' }),
    eventRow({ site_id: t.siteId, ts: NOW - 10 * 60_000 + 1000, visitor_id: 'd', session_id: 'd' }),
    eventRow({ site_id: t.siteId, ts: NOW - 31 * 60_000, visitor_id: 'e', session_id: 'e' }),
    eventRow({ site_id: t.siteId, ts: NOW - 60_000, visitor_id: 'bot', session_id: 'bot', is_bot: 1 }),
  ]);
});
afterAll(async () => {
  await h?.close();
  site?.remove();
});

describe('operations', () => {
  it('healthz, readyz, metrics', async () => {
    expect((await call(h.url, 'GET', '/healthz')).status).toBe(200);
    const ready = await call(h.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', nats: true, storage: true, schema: true });
    const m = await call(h.url, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(m.body).toMatch(/pulse_query_http_requests_total\{route="\/readyz",method="GET",status="200"\} 1/);
  });

  it('serves an OpenAPI 3.1 document built from the validating schemas', async () => {
    const r = await call(h.url, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(r.body.components.schemas.QueryRequest).toEqual(JSON.parse(JSON.stringify(QUERY_REQUEST_SCHEMA)));
    // Filters show their optional 4th element, the modifiers object (Plausible's Stats API v2).
    const filter = r.body.components.schemas.QueryRequest.properties.filters.items;
    expect([filter.minItems, filter.maxItems]).toEqual([3, 4]);
    expect(filter.prefixItems[3]).toMatchObject({ type: 'object', additionalProperties: false, properties: { case_sensitive: { type: 'boolean', default: true } } });
    expect(filter.examples).toContainEqual(['contains', 'page', ['blog'], { case_sensitive: false }]);
    const text = r.body.paths['/v1/query'].post.description as string;
    expect(text).toMatch(/`visitors` \(approximate\)/);
    expect(text).toMatch(/`pageviews` \(exact\)/);
    for (const p of ['/v1/realtime', '/v1/sites', '/v1/admin/merchants', '/v1/admin/sites', '/v1/admin/keys', '/v1/admin/keys/{key}', '/v1/admin/sites/{site_id}']) {
      expect(r.body.paths[p]).toBeDefined();
    }
  });

  it('lists 413 on exactly the operations that read a body, and the server answers 413 there', async () => {
    // A second instance with replays, so POST /v1/admin/replays gets as far as reading its body.
    const replays = { start: async () => ({}), get: async () => ({}), cancel: async () => ({}), onSwapped: () => () => undefined } as unknown as ReplayAdmin;
    const api = createQueryApi({ nats: h.nc, storage: h.storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: silentLogger, replays });
    const url = `http://127.0.0.1:${(await api.start()).port}`;
    try {
      const u = await createTenant(url);
      const doc = (await call(url, 'GET', '/openapi.json')).body;
      const oversized = JSON.stringify({ pad: 'x'.repeat(DEFAULT_MAX_BODY_BYTES) });
      const withBody: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, op] of Object.entries(ops)) {
          if (!op.requestBody) {
            expect(op.responses['413'], `${method} ${path}`).toBeUndefined();
            continue;
          }
          withBody.push(`${method.toUpperCase()} ${path}`);
          expect(op.responses['413']?.description, `${method} ${path}`).toMatch(new RegExp(`larger than ${DEFAULT_MAX_BODY_BYTES} bytes`));
          const token = op.security?.[0]?.readKey ? u.readKey : ADMIN_TOKEN;
          const r = await call(url, method.toUpperCase(), path.replace('{site_id}', u.siteId), { token, raw: oversized, headers: { 'content-type': 'application/json' } });
          expect([`${method} ${path}`, r.status, r.body?.error?.code]).toEqual([`${method} ${path}`, 413, 'payload_too_large']);
        }
      }
      expect(withBody.sort()).toEqual(['PATCH /v1/admin/sites/{site_id}', 'POST /v1/admin/keys', 'POST /v1/admin/merchants', 'POST /v1/admin/replays', 'POST /v1/admin/sites', 'POST /v1/funnel', 'POST /v1/query']);
    } finally {
      await api.stop(100);
    }
  });

  it('documents comparison changes, visits and ranges as the server computes them', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    const row = doc.components.schemas.QueryResponse.properties.results.items;
    expect(row.properties.comparison.description).toContain('When the previous value is 0 (percent change only): 0 if the current value is 0 too, null otherwise.');
    const text = doc.paths['/v1/query'].post.description as string;
    expect(text).toContain('A visit ends at midnight UTC for every site, whatever its time zone');
    expect(text).not.toMatch(/as in Universal Analytics/);
    const range = doc.components.schemas.QueryRequest.properties.date_range;
    expect(range.description).toContain('at most 1098 days');
    expect(range.anyOf[1].description).toContain('`month`: this month to date');
    expect(range.anyOf[1].description).toContain('n <= 36');
    expect(doc.paths['/v1/query'].post.responses['503'].description).toContain('confirmed within the last 10 minutes');
  });

  it('serves the dashboard from staticDir with an index.html fallback, and nothing outside it', async () => {
    const root = await call(h.url, 'GET', '/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/^text\/html/);
    expect(root.body).toContain('<title>Pulse</title>');
    const js = await call(h.url, 'GET', '/assets/app.js');
    expect(js.body).toBe('console.log(1)');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await call(h.url, 'GET', '/sites/s_x/overview')).body).toContain('<title>Pulse</title>');
    expect((await call(h.url, 'GET', '/missing.js')).status).toBe(404);
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fetc%2fhostname']) {
      const r = await rawGet(path);
      expect(r.body).not.toMatch(/root:|localhost/);
      expect([200, 404]).toContain(r.status);
      if (r.status === 200) expect(r.body).toContain('<title>Pulse</title>');
    }
    const api404 = await call(h.url, 'GET', '/v1/nope');
    expect(api404.status).toBe(404);
    expect(api404.body.error.code).toBe('not_found');
    const wrongMethod = await call(h.url, 'GET', '/v1/query');
    expect(wrongMethod.status).toBe(405);
  });

  it('answers CORS preflights on the read endpoints', async () => {
    const r = await call(h.url, 'OPTIONS', '/v1/query');
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });
});

describe('realtime', () => {
  it('counts visitors of the last 5 minutes and pageviews a minute for 30 minutes', async () => {
    const r = await call(h.url, 'GET', `/v1/realtime?site_id=${t.siteId}`, { token: t.readKey });
    expect(r.status).toBe(200);
    expect(r.body.visitors).toBe(3);
    const series = r.body.pageviews_per_minute as { minute: string; pageviews: number }[];
    expect(series).toHaveLength(30);
    expect(series[29]?.minute).toBe('2026-02-10T12:00:00+00:00');
    expect(series[0]?.minute).toBe('2026-02-10T11:31:00+00:00');
    expect(series.filter((s) => s.pageviews > 0)).toEqual([
      { minute: '2026-02-10T11:50:00+00:00', pageviews: 2 },
      { minute: '2026-02-10T12:00:00+00:00', pageviews: 2 },
    ]);
    const bad = await call(h.url, 'GET', '/v1/realtime?site_id=drop%20table', { token: t.readKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^site_id: /);
  });
});

describe('cache and limits', () => {
  it('serves a repeated query from the cache, honours If-None-Match, and can be invalidated', async () => {
    const u = await createTenant(h.url);
    await insertEvents(h.storage, [eventRow({ site_id: u.siteId, ts: '2026-02-01T10:00:00Z' })]);
    const body = { site_id: u.siteId, metrics: ['pageviews'], date_range: { from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' } };
    const first = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body });
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(first.body.results).toEqual([{ dimensions: [], metrics: [1] }]);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);

    await insertEvents(h.storage, [eventRow({ site_id: u.siteId, ts: '2026-02-01T11:00:00Z' })]);
    const second = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body });
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body.results[0].metrics).toEqual([1]);
    expect(second.headers.get('etag')).toBe(etag);

    const notModified = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body, headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeUndefined();

    // A replay swap announces itself on NATS; every instance drops its cached answers.
    h.nc.publish(CACHE_INVALIDATE_SUBJECT);
    await h.nc.flush();
    let third = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body, headers: { 'if-none-match': etag } });
    for (let i = 0; i < 20 && third.status === 304; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      third = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body, headers: { 'if-none-match': etag } });
    }
    expect(third.status).toBe(200);
    expect(third.headers.get('x-cache')).toBe('miss');
    expect(third.body.results[0].metrics).toEqual([2]);

    await insertEvents(h.storage, [eventRow({ site_id: u.siteId, ts: '2026-02-01T12:00:00Z' })]);
    h.api.invalidateCache();
    expect((await call(h.url, 'POST', '/v1/query', { token: u.readKey, body })).body.results[0].metrics).toEqual([3]);
  });

  it('runs identical concurrent reports once', async () => {
    const u = await createTenant(h.url);
    const body = { site_id: u.siteId, metrics: ['pageviews', 'bounce_rate'], dimensions: ['page'], date_range: { from: '2026-02-01T00:00:00Z', to: '2026-02-03T00:00:00Z' } };
    const replies = await Promise.all([0, 1, 2, 3].map(() => call(h.url, 'POST', '/v1/query', { token: u.readKey, body })));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(replies.filter((r) => r.headers.get('x-cache') === 'miss')).toHaveLength(1);
    expect(new Set(replies.map((r) => r.headers.get('etag'))).size).toBe(1);
  });

  it('rate-limits each read key with 429, Retry-After and X-RateLimit-* headers', async () => {
    const a = await createTenant(h.url);
    const b = await createTenant(h.url);
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 7; i++) {
      last = await call(h.url, 'GET', '/v1/sites', { token: a.readKey });
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get('x-ratelimit-limit')).toBe('5');
        expect(last.headers.get('x-ratelimit-remaining')).toBe('4');
      }
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(429);
    expect(last!.body.error.code).toBe('rate_limited');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    // Another key is not affected.
    expect((await call(h.url, 'GET', '/v1/sites', { token: b.readKey })).status).toBe(200);
  });

  it('holds one limit across instances: what a key spent at one is spent at the other', async () => {
    const a = await createTenant(h.url);
    const other = createQueryApi({ nats: h.nc, storage: h.storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: silentLogger, rateLimit: { perSecond: 2, burst: 5 } });
    const { port } = await other.start();
    try {
      const otherUrl = `http://127.0.0.1:${port}`;
      // The key's whole burst at this instance…
      for (let i = 0; i < 5; i++) expect((await call(h.url, 'GET', '/v1/sites', { token: a.readKey })).status).toBe(200);
      // …is spent at the other one too, once the usage is shared (every 200 ms); without the sharing, 5 more would pass there.
      await new Promise((ok) => setTimeout(ok, 500));
      const there = await call(otherUrl, 'GET', '/v1/sites', { token: a.readKey });
      expect(there.status).toBe(429);
      expect(there.headers.get('x-ratelimit-remaining')).toBe('0');
    } finally {
      await other.stop(100);
    }
  });
});

describe('freshness', () => {
  it("reports the aggregator's watermark as meta.complete_through once one is published", async () => {
    const u = await createTenant(h.url);
    const ask = async (day: number) => {
      const r = await call(h.url, 'POST', '/v1/query', {
        token: u.readKey,
        body: { site_id: u.siteId, metrics: ['events'], date_range: { from: `2026-01-${10 + day}T00:00:00Z`, to: `2026-01-${11 + day}T00:00:00Z` } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.meta.complete_through as string | null;
    };
    // Before any watermark: the newest received_at in storage.
    expect(await ask(0)).toBe(new Date(NOW - 20_000 + 100).toISOString());
    expect(WATERMARK_KEY).toBe(AGGREGATOR_WATERMARK_KEY);
    const kv = await h.nc.jetstream().views.kv(KV_STATE);
    await kv.put(WATERMARK_KEY, new TextEncoder().encode(JSON.stringify({ complete_through: NOW - 5_000, updated_at: NOW, ack_floor: 7 })));
    let seen: string | null = null;
    for (let day = 1; day < 15 && seen !== new Date(NOW - 5_000).toISOString(); day++) {
      // Spaced out to stay inside this file's small rate limit (2/s).
      await new Promise((ok) => setTimeout(ok, 500));
      seen = await ask(day);
    }
    expect(seen).toBe(new Date(NOW - 5_000).toISOString());
  });
});

/** `pulse_query_ready` and the `tenancy_stale` cause, as /metrics shows them. */
async function readinessGauges(): Promise<{ ready: number; stale: number }> {
  const text = (await call<string>(h.url, 'GET', '/metrics')).body;
  const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  return { ready: value('pulse_query_ready'), stale: value('pulse_query_readiness_cause{cause="tenancy_stale"}') };
}

describe('readiness', () => {
  it('stays in rotation, degraded, while NATS is down (stale-if-error tenancy), and ready again after it returns', async () => {
    await h.nats.kill();
    let r = await call(h.url, 'GET', '/readyz');
    // Well inside the default 10-minute window: confirmed keys and sites still answer.
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'degraded', nats: false, storage: true, schema: true, tenancy: 'stale', stale_max_ms: 600_000 });
    expect((await call(h.url, 'GET', '/healthz')).status).toBe(200);
    // A scrape probes too, so the gauges say it without anything polling /readyz.
    expect(await readinessGauges()).toEqual({ ready: 0, stale: 1 });
    await h.nats.restart();
    const started = Date.now();
    while (r.body.status !== 'ready' && Date.now() - started < 15_000) {
      await new Promise((ok) => setTimeout(ok, 250));
      r = await call(h.url, 'GET', '/readyz');
    }
    expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: { status: 'ready', nats: true, storage: true, schema: true } });
    expect(await readinessGauges()).toEqual({ ready: 1, stale: 0 });
  });
});
