import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbedded, type Embedded } from '@pulse/embedded';
import { api, freePort, tempDir, type TempDir } from '@pulse/testkit';
import { build } from 'vite';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = join(PACKAGE_DIR, 'dist');
export const ARTIFACTS_DIR = join(PACKAGE_DIR, 'test-results');
export const ADMIN_TOKEN = 'dashboard-e2e-admin-token-0123456789';
/** How old seeded events may be: a year and a bit. */
export const MAX_SEED_AGE_MS = 400 * 86_400_000;

export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
export const MOBILE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

export interface System {
  embedded: Embedded;
  dir: TempDir;
  stop(): Promise<void>;
}

/** Builds the dashboard from the current source and starts the whole system serving it. */
export async function startSystem(): Promise<System> {
  await build({ root: PACKAGE_DIR, logLevel: 'warn' });
  if (!existsSync(join(DIST_DIR, 'index.html'))) throw new Error(`vite build did not produce ${DIST_DIR}/index.html`);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const dir = tempDir('pulse-dashboard-e2e-');
  const embedded = await startEmbedded({
    dataDir: dir.path,
    host: '127.0.0.1',
    collectorPort: await freePort(),
    queryPort: await freePort(),
    natsPort: 0,
    aggregatorPort: await freePort(),
    adminToken: ADMIN_TOKEN,
    dashboardDir: DIST_DIR,
    // The year-over-year comparison needs last year's traffic, older than the collector's default
    // window of 7 days.
    collectorEnv: { COLLECTOR_MAX_EVENT_AGE_MS: String(MAX_SEED_AGE_MS) },
    // The browser asks ~20 reports a view and the tests change views faster than a person: on a
    // fast machine the default (20 a second, bursts of 100) answered 429s, which the panels wait
    // out for seconds. The limiter is the query API's tests' subject (and the panels' waiting,
    // panel.test.ts), not these.
    queryRateLimit: { perSecond: 10_000, burst: 100_000 },
    log: () => {},
  });
  return {
    embedded,
    dir,
    stop: async () => {
      await embedded.stop();
      dir.remove();
    },
  };
}

async function ok<T>(what: string, p: Promise<{ status: number; body: T }>): Promise<T> {
  const r = await p;
  if (r.status !== 200 && r.status !== 201) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export interface Tenant {
  merchantId: string;
  /** The key the dashboard signs in with. */
  readKey: string;
  /** A second read key of the merchant, for the test's own checks against the API: each key has its own rate limit. */
  checkKey: string;
  sites: { siteId: string; writeKey: string; domain: string }[];
}

/** A merchant with the given sites and a read key, through the admin API. */
export async function createTenant(queryUrl: string, name: string, sites: { domain: string; timezone: string }[]): Promise<Tenant> {
  const { merchant_id } = await ok('create merchant', api<{ merchant_id: string }>(`${queryUrl}/v1/admin/merchants`, { token: ADMIN_TOKEN, body: { name } }));
  const out: Tenant['sites'] = [];
  for (const s of sites) {
    const site = await ok(
      'create site',
      api<{ site_id: string; write_key: string }>(`${queryUrl}/v1/admin/sites`, { token: ADMIN_TOKEN, body: { merchant_id, ...s } }),
    );
    out.push({ siteId: site.site_id, writeKey: site.write_key, domain: s.domain });
  }
  const key = async () => (await ok('create read key', api<{ read_key: string }>(`${queryUrl}/v1/admin/keys`, { token: ADMIN_TOKEN, body: { merchant_id } }))).read_key;
  return { merchantId: merchant_id, readKey: await key(), checkKey: await key(), sites: out };
}

export interface SeedEvent {
  name: string;
  ts: number;
  url?: string;
  referrer?: string;
  visitor_id: string;
  session_id?: string;
  props?: Record<string, string>;
  revenue?: { amount: number; currency: string };
}

/** Sends events through the collector's public ingest endpoint, as a browser would. */
export async function sendEvents(collectorUrl: string, writeKey: string, events: SeedEvent[], ua = DESKTOP_UA): Promise<void> {
  for (let i = 0; i < events.length; i += 200) {
    const chunk = events.slice(i, i + 200);
    const res = await fetch(`${collectorUrl}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json', 'user-agent': ua },
      body: JSON.stringify({ sent_at: Date.now(), events: chunk }),
    });
    const body = (await res.json()) as { accepted?: number; rejected?: unknown[] };
    if (res.status !== 202 || body.accepted !== chunk.length) {
      throw new Error(`collector refused seed events: ${res.status} ${JSON.stringify(body)}`);
    }
  }
}

export interface QueryAnswer {
  results: { dimensions: (string | number)[]; metrics: number[]; comparison?: { metrics: number[]; change: (number | null)[] } }[];
  meta: Record<string, unknown>;
}

export async function query(queryUrl: string, readKey: string, body: unknown): Promise<QueryAnswer> {
  return ok('query', api<QueryAnswer>(`${queryUrl}/v1/query`, { token: readKey, body }));
}

/** Polls until `check` passes; fails with the last value when it never does. */
export async function eventually<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
    last = await fn();
  }
  return last;
}
