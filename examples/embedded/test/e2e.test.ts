import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir, servicePorts } from '@pulse/testkit';
import { startEmbedded, type Embedded } from '../src/index.js';
import { api, createTenant, eventually, query, sendBatch, type Tenant } from './helpers.js';

const PAGES = ['/', '/pricing', '/blog/hello'];
const VISITORS = 50;
const EVENTS = 1000;
const BATCH = 100;

/** 1000 pageviews over 3 pages and 50 visitors; page i%3, visitor i%50. Expected per-page counts are exact. */
function makeEvents(now: number) {
  return Array.from({ length: EVENTS }, (_, i) => ({
    id: `e2e-${i}`,
    name: 'pageview',
    ts: now - 60_000 + i,
    url: `https://shop.example.com${PAGES[i % PAGES.length]}`,
    visitor_id: `visitor-${i % VISITORS}`,
  }));
}
const expectedPerPage = Object.fromEntries(PAGES.map((p, k) => [p, Array.from({ length: EVENTS }, (_, i) => i).filter((i) => i % PAGES.length === k).length]));

describe.each(['bun', 'node'] as const)('embedded system with the %s collector', (runtime) => {
  let dir: TempDir;
  let system: Embedded;
  let ports: { collectorPort: number; queryPort: number; natsPort: number; aggregatorPort: number };
  let a: Tenant;
  let b: Tenant;
  const range = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });

  const logs: Array<Record<string, unknown>> = [];
  const start = () =>
    startEmbedded({ dataDir: dir.path, host: '127.0.0.1', collectorRuntime: runtime, adminToken: 'test-admin-token-0123456789', ...ports, log: (e) => logs.push(e) });

  beforeAll(async () => {
    dir = tempDir('pulse-e2e-');
    const [collectorPort, queryPort, aggregatorPort] = await servicePorts(3);
    // natsPort 0: nats-server picks one (it is never killed here; the others are restarted on theirs).
    ports = { collectorPort: collectorPort as number, queryPort: queryPort as number, natsPort: 0, aggregatorPort: aggregatorPort as number };
    system = await start();
    a = await createTenant(system.queryUrl, system.adminToken, 'alpha');
    b = await createTenant(system.queryUrl, system.adminToken, 'beta');
  });

  afterAll(async () => {
    await system?.stop();
    dir?.remove();
  });

  it('starts the collector again when it dies, and logs it as an error', async () => {
    const pid = Number(readFileSync(join(dir.path, 'run', 'collector.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    const ready = await eventually(
      () => fetch(`${system.collectorUrl}/readyz`).then((r) => r.status, () => 0),
      (status) => status === 200 && Number(readFileSync(join(dir.path, 'run', 'collector.pid'), 'utf8').split('\n')[0]) !== pid,
    );
    expect(ready).toBe(200);
    expect(logs.some((e) => e.level === 'error' && String(e.msg).startsWith('collector exited unexpectedly'))).toBe(true);
    const res = await sendBatch(system.collectorUrl, b.writeKey, { events: [{ name: 'signup' }] }, 'json');
    expect(res.status).toBe(202);
  });

  it('counts 1000 events sent as msgpack and JSON exactly, per page and in visitors', async () => {
    const events = makeEvents(Date.now());
    for (let i = 0; i < EVENTS; i += BATCH) {
      const res = await sendBatch(system.collectorUrl, a.writeKey, { sent_at: Date.now(), events: events.slice(i, i + BATCH) }, (i / BATCH) % 2 ? 'json' : 'msgpack');
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: BATCH, rejected: [] });
    }
    // Beta's traffic must never show up in alpha's numbers.
    const other = await sendBatch(system.collectorUrl, b.writeKey, { events: [{ name: 'pageview', url: 'https://beta.example.com/' }] }, 'json');
    expect(other.status).toBe(202);

    const total = await eventually(
      () => query(system.queryUrl, a.readKey, { site_id: a.siteId, metrics: ['pageviews', 'visitors'], date_range: range() }),
      (r) => r.body.results?.[0]?.metrics[0] === EVENTS,
    );
    expect(total.status).toBe(200);
    expect(total.body.results).toEqual([{ dimensions: [], metrics: [EVENTS, VISITORS] }]);

    const byPage = await query(system.queryUrl, a.readKey, { site_id: a.siteId, metrics: ['pageviews'], dimensions: ['page'], date_range: range() });
    expect(byPage.status).toBe(200);
    const got = Object.fromEntries(byPage.body.results.map((r) => [r.dimensions[0], r.metrics[0]]));
    expect(got).toEqual(expectedPerPage);
  });

  it('answers 401 to a wrong, missing or revoked write key', async () => {
    const batch = { events: [{ name: 'pageview', url: 'https://shop.example.com/' }] };
    expect((await sendBatch(system.collectorUrl, 'wk_wrongwrongwrongwrongwrongwrongwron', batch, 'json')).status).toBe(401);
    const missing = await sendBatch(system.collectorUrl, undefined, batch, 'json');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });

    const site = await api<{ site_id: string; write_key: string }>(`${system.queryUrl}/v1/admin/sites`, {
      token: system.adminToken,
      body: { merchant_id: a.merchantId, domain: 'revoked.example.com' },
    });
    expect((await sendBatch(system.collectorUrl, site.body.write_key, batch, 'json')).status).toBe(202);
    const del = await api(`${system.queryUrl}/v1/admin/keys/${site.body.write_key}`, { method: 'DELETE', token: system.adminToken });
    expect(del.status).toBe(204);
    const after = await eventually(
      () => sendBatch(system.collectorUrl, site.body.write_key, batch, 'json'),
      (r) => r.status === 401,
      2_500,
    );
    expect(after.status).toBe(401);
  });

  it("never shows a read key another merchant's site", async () => {
    const r = await query(system.queryUrl, b.readKey, { site_id: a.siteId, metrics: ['pageviews'], date_range: range() });
    expect(r.status).toBe(404);
    const own = await eventually(
      () => query(system.queryUrl, b.readKey, { site_id: b.siteId, metrics: ['pageviews'], date_range: range() }),
      (x) => x.body.results?.[0]?.metrics[0] === 1,
    );
    expect(own.body.results).toEqual([{ dimensions: [], metrics: [1] }]);
    expect((await query(system.queryUrl, 'rk_nope', { site_id: a.siteId, metrics: ['pageviews'], date_range: range() })).status).toBe(401);
  });

  it('keeps ingesting after the collector process is killed and replaced', async () => {
    await system.restartCollector('SIGKILL');
    const res = await sendBatch(system.collectorUrl, b.writeKey, { events: [{ name: 'signup' }] }, 'msgpack');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1, rejected: [] });
  });

  it('gives the same numbers after a restart on the same data dir', async () => {
    await system.stop();
    system = await start();
    const total = await query(system.queryUrl, a.readKey, { site_id: a.siteId, metrics: ['pageviews', 'visitors'], date_range: range() });
    expect(total.status).toBe(200);
    expect(total.body.results).toEqual([{ dimensions: [], metrics: [EVENTS, VISITORS] }]);
    const byPage = await query(system.queryUrl, a.readKey, { site_id: a.siteId, metrics: ['pageviews'], dimensions: ['page'], date_range: range() });
    expect(Object.fromEntries(byPage.body.results.map((r) => [r.dimensions[0], r.metrics[0]]))).toEqual(expectedPerPage);
    // and it still ingests
    const res = await sendBatch(system.collectorUrl, a.writeKey, { events: [{ name: 'pageview', url: 'https://shop.example.com/' }] }, 'msgpack');
    expect(res.status).toBe(202);
    const after = await eventually(
      () => query(system.queryUrl, a.readKey, { site_id: a.siteId, metrics: ['pageviews'], date_range: range() }),
      (r) => r.body.results?.[0]?.metrics[0] === EVENTS + 1,
    );
    expect(after.body.results[0]?.metrics[0]).toBe(EVENTS + 1);
  });

  it('applies a new excluded_paths rule to history through a replay', async () => {
    const patch = await api(`${system.queryUrl}/v1/admin/sites/${a.siteId}`, {
      method: 'PATCH',
      token: system.adminToken,
      body: { settings: { excluded_paths: ['/blog/*'] } },
    });
    expect(patch.status).toBe(200);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const started = await api<{ replay_id: string }>(`${system.queryUrl}/v1/admin/replays`, {
      token: system.adminToken,
      body: { from, to: new Date().toISOString(), site_id: a.siteId },
    });
    expect(started.status).toBe(202);
    const status = await eventually(
      () => api<{ state: string; progress: number }>(`${system.queryUrl}/v1/admin/replays/${started.body.replay_id}`, { token: system.adminToken }),
      (r) => r.body.state !== 'running',
      90_000,
    );
    expect(status.body).toMatchObject({ state: 'done', progress: 1 });
    const byPage = await query(system.queryUrl, a.readKey, { site_id: a.siteId, metrics: ['pageviews'], dimensions: ['page'], date_range: range() });
    expect(Object.fromEntries(byPage.body.results.map((r) => [r.dimensions[0], r.metrics[0]]))).toEqual({
      '/': (expectedPerPage['/'] ?? 0) + 1,
      '/pricing': expectedPerPage['/pricing'],
    });
  });
});
