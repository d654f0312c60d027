import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { AGGREGATOR_CONSUMER, EVENTS_INGEST_SUBJECT, EVENTS_STREAM, type StreamRecord } from '@pulse/protocol';
import { encodeStreamMessage } from '@pulse/protocol/codec';
import { createAggregator, createReplayManager, createReplayMetrics, silentLogger, type Aggregator, type ReplayManager } from '@pulse/aggregator';
import { createStorage, type Storage } from '@pulse/aggregator/storage';
import { chdbDir, startNats, type TempDir, type TestNats } from '@pulse/testkit';
import { createQueryApi, type QueryApi, type ReplayAdmin } from '../src/index.js';
import { ADMIN_TOKEN, call, createTenant, type Tenant } from './harness.js';

const HOUR = 3_600_000;
const floorHour = (ms: number) => Math.floor(ms / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

let nats: TestNats;
let nc: NatsConnection;
let dir: TempDir;
let storage: Storage;
let aggregator: Aggregator;
let manager: ReplayManager;
const apis: QueryApi[] = [];
let url: string;
/** Same NATS and storage, no replay manager. */
let bareUrl: string;

async function startApi(replays?: ReplayAdmin, registry?: Registry): Promise<{ api: QueryApi; url: string }> {
  const api = createQueryApi({
    nats: nc,
    storage,
    adminToken: ADMIN_TOKEN,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    // Nothing expires during the test: only a cache clear can change a cached answer.
    cache: { liveTtlMs: 600_000, closedTtlMs: 600_000 },
    ...(replays ? { replays } : {}),
    ...(registry ? { registry } : {}),
  });
  apis.push(api);
  const { port } = await api.start();
  return { api, url: `http://127.0.0.1:${port}` };
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  dir = chdbDir();
  storage = createStorage({ path: dir.path });
  // The real live pipeline: creates the streams, migrates, consumes, publishes its watermark.
  aggregator = createAggregator({ nats: nc, storage, logger: silentLogger, lagRefreshMs: 200 });
  await aggregator.start();
  // Small batches so a replay runs long enough to be overlapped and cancelled.
  const metrics = createReplayMetrics();
  manager = createReplayManager({ nats: nc, storage, logger: silentLogger, heartbeatMs: 200, batchMaxMessages: 5, metrics });
  // The API's /metrics serves the replay metrics' registry, as its main and the embedded launcher do.
  url = (await startApi(manager, metrics.registry)).url;
  bareUrl = (await startApi()).url;
});

afterAll(async () => {
  for (const a of apis.splice(0)) await a.stop(100);
  await manager?.close();
  await aggregator?.stop();
  await nc?.close();
  await storage?.close();
  await nats?.cleanup();
  dir?.remove();
});

const admin = (method: string, path: string, body?: unknown, base = url) => call(base, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls the status endpoint until the replay is no longer running. */
async function finished(replayId: string): Promise<any> {
  return waitFor(`replay ${replayId}`, async () => {
    const r = await admin('GET', `/v1/admin/replays/${replayId}`);
    expect(r.status).toBe(200);
    return r.body.state === 'running' ? undefined : r.body;
  });
}

let msg = 0;
/** One collector request per call: a visitor viewing two shop and two admin pages. */
async function publishVisits(siteId: string, base: number, count: number): Promise<void> {
  const js = nc.jetstream();
  for (let i = 0; i < count; i++) {
    const record: StreamRecord = {
      site_id: siteId,
      received_at: Date.now(),
      ip: `203.0.113.${(i % 5) + 1}`,
      ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
      country: 'DE',
      events: ['/shop', '/admin/users', '/shop/cart', '/admin/settings'].map((p, j) => ({
        id: `ev-${msg}-${j}`,
        name: 'pageview',
        ts: base + i * 1000 + j * 60_000,
        url: `https://shop.example${p}`,
        visitor_id: `vis-${i % 5}`,
      })),
    };
    await js.publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage({ v: 1, records: [record] }), { msgID: `replay-test-${++msg}` });
  }
  const jsm = await nc.jetstreamManager();
  await waitFor('the live aggregator to catch up', async () => {
    const s = await jsm.streams.info(EVENTS_STREAM);
    const c = await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    return c.ack_floor.stream_seq >= s.state.last_seq ? true : undefined;
  });
}

describe('replay admin API: access and input', () => {
  it('refuses every replay call without the admin token', async () => {
    for (const token of [undefined, 'wrong-token-123', `${ADMIN_TOKEN}x`]) {
      const opts = token ? { token } : {};
      const post = await call(url, 'POST', '/v1/admin/replays', { ...opts, body: { from: iso(Date.now() - HOUR), to: iso(Date.now()) } });
      expect(post.status).toBe(401);
      expect(post.body.error.code).toBe('unauthorized');
      expect((await call(url, 'GET', '/v1/admin/replays/rp_0000000000000000', opts)).status).toBe(401);
      expect((await call(url, 'DELETE', '/v1/admin/replays/rp_0000000000000000', opts)).status).toBe(401);
    }
  });

  it('validates the body with a 400 naming the field', async () => {
    const now = Date.now();
    const cases: [unknown, RegExp][] = [
      [{}, /^from: is required/],
      [{ from: iso(now - HOUR) }, /^to: is required/],
      [{ from: 'yesterday', to: iso(now) }, /^from: .*ISO-8601/],
      [{ from: iso(now - HOUR), to: '2026-01-01' }, /^to: .*ISO-8601/],
      [{ from: 1700000000000, to: iso(now) }, /^from: must be a string/],
      [{ from: iso(now - HOUR), to: iso(now), site_id: 'example.com' }, /^site_id: /],
      [{ from: iso(now - HOUR), to: iso(now), sites: [] }, /^sites: is not a known field/],
      [[], /must be an object/],
    ];
    for (const [body, message] of cases) {
      const r = await admin('POST', '/v1/admin/replays', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toMatch(message);
    }
    const json = await call(url, 'POST', '/v1/admin/replays', { token: ADMIN_TOKEN, raw: '{"from":', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('invalid_json');
    // Well-formed but not a range the manager accepts: its `invalid_range` becomes a 400.
    for (const body of [{ from: iso(now), to: iso(now - HOUR) }, { from: iso(now + HOUR), to: iso(now + 2 * HOUR) }]) {
      const r = await admin('POST', '/v1/admin/replays', body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_range');
      expect(r.body.error.message).toMatch(/from/);
    }
  });

  it('answers 404 for a replay of a site that does not exist, before anything runs', async () => {
    const now = Date.now();
    const r = await admin('POST', '/v1/admin/replays', { from: iso(floorHour(now) - HOUR), to: iso(floorHour(now)), site_id: 's_0000000000000000' });
    expect({ status: r.status, code: r.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    expect(r.body.error.message).toMatch(/site/);
  });

  it('answers 404 for an unknown replay', async () => {
    for (const id of ['rp_0000000000000000', 'nope']) {
      const g = await admin('GET', `/v1/admin/replays/${id}`);
      expect(g.status).toBe(404);
      expect(g.body.error.code).toBe('replay_not_found');
      const d = await admin('DELETE', `/v1/admin/replays/${id}`);
      expect(d.status).toBe(404);
      expect(d.body.error.code).toBe('replay_not_found');
    }
  });

  it('answers 503 replays_unavailable when no replay manager is configured', async () => {
    const post = await admin('POST', '/v1/admin/replays', { from: iso(Date.now() - HOUR), to: iso(Date.now()) }, bareUrl);
    expect(post.status).toBe(503);
    expect(post.body.error.code).toBe('replays_unavailable');
    expect((await admin('GET', '/v1/admin/replays/rp_0000000000000000', undefined, bareUrl)).body.error.code).toBe('replays_unavailable');
    expect((await admin('DELETE', '/v1/admin/replays/rp_0000000000000000', undefined, bareUrl)).status).toBe(503);
    // Authentication still comes first.
    expect((await call(bareUrl, 'GET', '/v1/admin/replays/rp_0000000000000000')).status).toBe(401);
  });

  it('documents the three operations in the OpenAPI document', async () => {
    const doc = (await call(url, 'GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/admin/replays'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/v1/admin/replays/{replay_id}']).sort()).toEqual(['delete', 'get']);
    expect(doc.components.schemas.StartReplay.required).toEqual(['from', 'to']);
    expect(Object.keys(doc.paths['/v1/admin/replays'].post.responses).sort()).toEqual(['202', '400', '401', '404', '409', '413', '500', '501', '503']);
    expect(Object.keys(doc.paths['/v1/admin/replays/{replay_id}'].delete.responses).sort()).toEqual(['200', '401', '404', '409', '500', '503']);
  });
});

describe('replay admin API: running replays', () => {
  let tenant: Tenant;
  const now = Date.now();
  // Closed hours: answers over them are cached with the long TTL.
  const dataFrom = floorHour(now - 6 * HOUR);
  const dataTo = floorHour(now - 2 * HOUR);
  const query = () =>
    call(url, 'POST', '/v1/query', { token: tenant.readKey, body: { site_id: tenant.siteId, metrics: ['pageviews'], date_range: { from: iso(dataFrom), to: iso(dataTo) } } });
  const pageviews = (r: { body: { results: { metrics: number[] }[] } }) => r.body.results[0]?.metrics[0];

  beforeAll(async () => {
    tenant = await createTenant(url);
    await publishVisits(tenant.siteId, floorHour(now - 5 * HOUR) + 10 * 60_000, 20);
  });

  it('starts a replay (202), refuses an overlapping one (409), reports it done, and empties the answer cache after the swap', async () => {
    const first = await query();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(pageviews(first)).toBe(80);
    expect((await query()).headers.get('x-cache')).toBe('hit');

    const patched = await admin('PATCH', `/v1/admin/sites/${tenant.siteId}`, { settings: { excluded_paths: ['/admin/*'] } });
    expect(patched.status).toBe(200);
    // Let the replay manager's and the aggregator's KV watches see the new rule.
    await new Promise((r) => setTimeout(r, 500));
    const stale = await query();
    expect(stale.headers.get('x-cache')).toBe('hit');
    expect(pageviews(stale)).toBe(80);

    const range = { from: iso(dataFrom), to: iso(Date.now()), site_id: tenant.siteId };
    const started = await admin('POST', '/v1/admin/replays', range);
    expect(started.status).toBe(202);
    const id: string = started.body.replay_id;
    expect(id).toMatch(/^rp_[0-9a-f]{16}$/);
    expect(started.headers.get('location')).toBe(`/v1/admin/replays/${id}`);

    // Every site over the same hours overlaps the running one.
    const clash = await admin('POST', '/v1/admin/replays', { from: range.from, to: range.to });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('replay_conflict');
    expect(clash.body.error.message).toContain(id);

    const running = await admin('GET', `/v1/admin/replays/${id}`);
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ replay_id: id, from: range.from, to: range.to, site_id: tenant.siteId });
    expect(running.body.progress).toBeGreaterThanOrEqual(0);

    const done = await finished(id);
    expect(done).toMatchObject({ replay_id: id, state: 'done', phase: 'done', progress: 1, site_id: tenant.siteId });
    expect(done.events_done).toBeGreaterThanOrEqual(80);
    expect(done.source.stream).toBe(20);
    // The status is the manager's object as-is.
    expect(done).toEqual(await manager.get(id));
    const exported = (await call<string>(url, 'GET', '/metrics')).body;
    expect(exported).toMatch(/^pulse_replay_finished_total\{state="done"\} 1$/m);
    expect(exported).toMatch(/^pulse_replay_running 0$/m);
    expect(exported).toMatch(new RegExp(`^pulse_replay_events_total ${done.events_done}$`, 'm'));

    // The swap is announced on core NATS; the API clears its cache when it hears it.
    const fresh = await waitFor('a recomputed answer', async () => {
      const r = await query();
      return r.headers.get('x-cache') === 'miss' ? r : undefined;
    }, 10_000);
    expect(pageviews(fresh)).toBe(40);
    const [stored] = await storage.query<{ n: number }>(
      "SELECT count() AS n FROM events WHERE site_id = {site:String} AND name = 'pageview'",
      { site: tenant.siteId },
    );
    expect(stored?.n).toBe(40);

    // A finished replay is left alone by DELETE: 409 replay_finished, naming it and how it ended.
    const again = await admin('DELETE', `/v1/admin/replays/${id}`);
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 409, code: 'replay_finished' });
    expect(again.body.error.message).toContain(id);
    expect(again.body.error.message).toContain('(done)');
    expect(await manager.get(id)).toEqual(done);
  });

  it('cancels a running replay (DELETE → 200 with the status); live data stays untouched', async () => {
    const started = await admin('POST', '/v1/admin/replays', { from: iso(dataFrom), to: iso(Date.now()) });
    expect(started.status).toBe(202);
    const id: string = started.body.replay_id;
    const cancel = await admin('DELETE', `/v1/admin/replays/${id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ replay_id: id, state: 'running' });
    const end = await finished(id);
    expect(end).toMatchObject({ state: 'failed', error: { code: 'cancelled' } });
    // Once it has ended, another cancel changes nothing and says so.
    const late = await admin('DELETE', `/v1/admin/replays/${id}`);
    expect({ status: late.status, code: late.body.error.code }).toEqual({ status: 409, code: 'replay_finished' });
    expect(late.body.error.message).toContain('(failed: cancelled)');
    const [stored] = await storage.query<{ n: number }>("SELECT count() AS n FROM events WHERE site_id = {site:String}", { site: tenant.siteId });
    expect(stored?.n).toBe(40);
  });

  it('stops listening for swaps when stopped', async () => {
    const active = new Set<unknown>();
    const counting: ReplayAdmin = {
      start: (req) => manager.start(req),
      get: (id) => manager.get(id),
      cancel: (id) => manager.cancel(id),
      onSwapped(listener) {
        const off = manager.onSwapped(listener);
        active.add(listener);
        return () => {
          active.delete(listener);
          return off();
        };
      },
    };
    const { api } = await startApi(counting);
    expect(active.size).toBe(1);
    await api.stop(100);
    expect(active.size).toBe(0);
  });
});

describe('replay admin API: options', () => {
  it('refuses a replays option that is not a replay manager', () => {
    expect(() => createQueryApi({ nats: nc, storage, adminToken: ADMIN_TOKEN, port: 0, replays: { start: () => Promise.resolve({ replay_id: 'x' }) } as unknown as ReplayAdmin })).toThrow(
      /^replays: must be a ReplayManager \(no get\(\)\)/,
    );
  });
});
