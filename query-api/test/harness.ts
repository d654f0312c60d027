import { connect, type NatsConnection } from 'nats';
import { createStorage, migrate, MIGRATIONS, type Storage } from '@pulse/aggregator/storage';
import { chdbDir, startNats, type TempDir, type TestNats } from '@pulse/testkit';
import { createQueryApi, jsonLogger, silentLogger, type QueryApi, type QueryApiOptions } from '../src/index.js';
import { planQuery, validateQueryRequest } from '../src/query/plan.js';
import { runQuery, type ResultRow } from '../src/query/run.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface Harness {
  url: string;
  api: QueryApi;
  nc: NatsConnection;
  storage: Storage;
  nats: TestNats;
  close(): Promise<void>;
}

/** Options of the API under test; a function gets the harness's own connection and storage (say, for a replay manager). */
export type HarnessOptions = Partial<QueryApiOptions> | ((made: { nc: NatsConnection; storage: Storage }) => Partial<QueryApiOptions>);

/**
 * Real nats-server, real chDB with the aggregator's schema, the API on a free loopback port.
 * `migratedBefore`: the schema of an aggregator that has not applied that migration (or any later
 * one) yet, for tests of an upgrade while the API runs.
 */
export async function startHarness(options: HarnessOptions = {}, schema: { migratedBefore?: string } = {}): Promise<Harness> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const dir: TempDir = chdbDir();
  const storage = createStorage({ path: dir.path });
  const before = schema.migratedBefore;
  await migrate(storage, before === undefined ? {} : { migrations: MIGRATIONS.filter((m) => m.id < before) });
  const extra = typeof options === 'function' ? options({ nc, storage }) : options;
  const api = createQueryApi({ nats: nc, storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: process.env.PULSE_TEST_LOG ? jsonLogger((l) => process.stderr.write(l)) : silentLogger, ...extra });
  const { port } = await api.start();
  return {
    url: `http://127.0.0.1:${port}`,
    api,
    nc,
    storage,
    nats,
    async close() {
      await api.stop(100);
      await nc.close();
      await storage.close();
      await nats.cleanup();
      dir.remove();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (static files, metrics)
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export interface Tenant {
  merchantId: string;
  siteId: string;
  writeKey: string;
  readKey: string;
}

export async function createTenant(url: string, opts: { timezone?: string; domain?: string } = {}): Promise<Tenant> {
  const m = await call(url, 'POST', '/v1/admin/merchants', { token: ADMIN_TOKEN, body: { name: 'Shop' } });
  if (m.status !== 201) throw new Error(`merchant: ${m.status} ${JSON.stringify(m.body)}`);
  const s = await call(url, 'POST', '/v1/admin/sites', {
    token: ADMIN_TOKEN,
    body: { merchant_id: m.body.merchant_id, domain: opts.domain ?? 'shop.example', ...(opts.timezone ? { timezone: opts.timezone } : {}) },
  });
  if (s.status !== 201) throw new Error(`site: ${s.status} ${JSON.stringify(s.body)}`);
  const k = await call(url, 'POST', '/v1/admin/keys', { token: ADMIN_TOKEN, body: { merchant_id: m.body.merchant_id } });
  if (k.status !== 201) throw new Error(`key: ${k.status} ${JSON.stringify(k.body)}`);
  return { merchantId: m.body.merchant_id, siteId: s.body.site_id, writeKey: s.body.write_key, readKey: k.body.read_key };
}

let seq = 0;

/** A full `events` row: defaults for every column, overridden by `e`. `ts` in ms or ISO. */
export function eventRow(e: Record<string, unknown> & { site_id: string; ts: string | number }): Record<string, unknown> {
  const ts = typeof e.ts === 'number' ? e.ts : Date.parse(e.ts);
  const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  seq++;
  const path = (e.path as string | undefined) ?? '/';
  return {
    event_id: `ev-${seq}`,
    name: 'pageview',
    visitor_id: 'v1',
    session_id: 'x1',
    user_id: '',
    url: `https://shop.example${path}`,
    hostname: 'shop.example',
    path,
    title: '',
    referrer: '',
    referrer_host: '',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    country: 'DE',
    browser: 'Firefox',
    browser_version: '140',
    os: 'Linux',
    device: 'desktop',
    is_bot: 0,
    screen_width: 1280,
    lang: 'en',
    props: {},
    revenue_amount: 0,
    revenue_currency: '',
    received_at: iso(ts + 100),
    stream_seq: seq,
    ...e,
    ts: iso(ts),
  };
}

export async function insertEvents(storage: Storage, rows: Record<string, unknown>[]): Promise<void> {
  await storage.insert('events', rows);
}

/**
 * What raw events alone answer, through the API's own planner and runner but with no rollup and no
 * table of visits to read: the oracle every faster route must equal.
 */
export async function rawAnswer(
  storage: Storage,
  body: Record<string, unknown>,
  opts: { siteTimezone?: string; now?: number } = {},
): Promise<{ results: ResultRow[]; table: string }> {
  const columns = await storage.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'");
  const schema = { eventColumns: new Set(columns.map((c) => c.name)), tables: new Set(['events']), migrations: new Set<string>() };
  const plan = planQuery(validateQueryRequest(body), { timezone: opts.siteTimezone ?? 'UTC', created_at: 0 }, opts.now ?? Date.now());
  const out = await runQuery(storage, plan, { settings: {}, schema });
  // As the HTTP answer carries them (no undefined fields).
  return { results: JSON.parse(JSON.stringify(out.results)) as ResultRow[], table: out.table };
}
