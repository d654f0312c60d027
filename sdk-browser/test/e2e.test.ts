// Issue 4's end-to-end tests: examples/merchant-site in Chromium, its script tag
// served by the real collector, through NATS JetStream and the aggregator into
// chDB, counted exactly by the query API's /v1/query.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEmbedded, type Embedded } from '@pulse/embedded';
import { freePort, startNats, tempDir, type TempDir, type TestNats } from '@pulse/testkit';
import { HUMAN_USER_AGENT, launchChromium, sleep, waitFor } from './harness/browser.js';
import { DIST_DIR } from './harness/sink.js';
import { startSite, type Site } from './harness/site.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

let dir: TempDir;
let nats: TestNats;
let system: Embedded;
let browser: Browser;
let context: BrowserContext | undefined;
const sites: Site[] = [];

beforeAll(async () => {
  dir = tempDir();
  // Our own nats-server, so a test can take it away: the collector then answers 503.
  nats = await startNats();
  // The collector serves this build at /script.js: the merchant page uses data-outbound.
  process.env.COLLECTOR_SCRIPT_FILE = `${DIST_DIR}script.full.js`;
  const [collectorPort, queryPort, aggregatorPort] = [await freePort(), await freePort(), await freePort()];
  [system, browser] = await Promise.all([
    startEmbedded({
      dataDir: dir.path,
      natsUrl: nats.url,
      collectorPort,
      queryPort,
      aggregatorPort,
      host: '127.0.0.1',
      adminToken: ADMIN_TOKEN,
      log: () => {},
    }),
    launchChromium({ userAgent: HUMAN_USER_AGENT }),
  ]);
});

afterAll(async () => {
  await Promise.all(sites.map((s) => s.close()));
  await browser?.close();
  await system?.stop();
  await nats?.cleanup();
  dir?.remove();
});

afterEach(async () => {
  await context?.close();
  context = undefined;
});

async function api<T>(path: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(system.queryUrl + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface Shop {
  siteId: string;
  writeKey: string;
  readKey: string;
  site: Site;
}

/** A merchant with one site, and the merchant page served for it: each test counts on its own site. */
async function newShop(): Promise<Shop> {
  const { merchant_id } = await api<{ merchant_id: string }>('/v1/admin/merchants', ADMIN_TOKEN, { name: 'Acme' });
  const { site_id, write_key } = await api<{ site_id: string; write_key: string }>('/v1/admin/sites', ADMIN_TOKEN, { merchant_id, domain: '127.0.0.1' });
  const { read_key } = await api<{ read_key: string }>('/v1/admin/keys', ADMIN_TOKEN, { merchant_id });
  const site = await startSite({ collector: system.collectorUrl, key: write_key });
  sites.push(site);
  return { siteId: site_id, writeKey: write_key, readKey: read_key, site };
}

async function open(shop: Shop, path = '/'): Promise<Page> {
  context = await browser.newContext();
  await context.route('https://*.example.org/**', (route) => route.fulfill({ contentType: 'text/html', body: '<title>elsewhere</title>' }));
  const page = await context.newPage();
  await page.goto(shop.site.url + path);
  return page;
}

const track = (page: Page, ...args: unknown[]) =>
  page.evaluate((a) => (window as unknown as { pulse: (...x: unknown[]) => void }).pulse(...a), ['track', ...args]);

/** `events` per event name, from /v1/query. */
async function eventsByName(shop: Shop): Promise<Record<string, number>> {
  const { results } = await api<{ results: { dimensions: string[]; metrics: number[] }[] }>('/v1/query', shop.readKey, {
    site_id: shop.siteId,
    metrics: ['events'],
    dimensions: ['event_name'],
    date_range: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() },
  });
  return Object.fromEntries(results.map((r) => [r.dimensions[0], r.metrics[0]]));
}

/**
 * Waits until the counts are `expected`, then makes sure they stay so (no late
 * duplicates). A failing query (the API recovering from a NATS outage) is
 * "not yet"; the last answer or error goes into the timeout message.
 */
async function expectCounts(shop: Shop, expected: Record<string, number>, timeoutMs = 45_000): Promise<void> {
  let last: Record<string, number> | string = {};
  await waitFor(
    `counts ${JSON.stringify(expected)}`,
    async () => {
      last = await eventsByName(shop).catch((e: Error) => e.message);
      return typeof last === 'object' && JSON.stringify(sorted(last)) === JSON.stringify(sorted(expected));
    },
    timeoutMs,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
  });
  await sleep(3000);
  expect(sorted(await eventsByName(shop))).toEqual(sorted(expected));
}

const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe('merchant site end to end', () => {
  it('counts a pageview on load, three SPA navigations, a purchase with revenue and an outbound click exactly', async () => {
    const shop = await newShop();
    const page = await open(shop);
    await page.click('text=Products');
    await page.click('text=Cart');
    await page.click('text=Checkout');
    await page.click('#buy');
    await page.click('#partner');
    await page.waitForURL('https://partner.example.org/deals');
    await expectCounts(shop, { pageview: 4, purchase: 1, outbound_click: 1 });

    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const totals = await api<{ results: { metrics: number[] }[] }>('/v1/query', shop.readKey, { site_id: shop.siteId, metrics: ['pageviews', 'revenue'], date_range: range });
    expect(totals.results[0]!.metrics).toEqual([4, 49]);
    const pages = await api<{ results: { dimensions: string[]; metrics: number[] }[] }>('/v1/query', shop.readKey, {
      site_id: shop.siteId,
      metrics: ['pageviews'],
      dimensions: ['page'],
      date_range: range,
    });
    expect(Object.fromEntries(pages.results.map((r) => [r.dimensions[0], r.metrics[0]]))).toEqual({ '/': 1, '/products': 1, '/cart': 1, '/checkout': 1 });
    const plan = await api<{ results: { dimensions: string[]; metrics: number[] }[] }>('/v1/query', shop.readKey, {
      site_id: shop.siteId,
      metrics: ['events'],
      dimensions: ['prop:plan'],
      filters: [['is', 'event_name', ['purchase']]],
      date_range: range,
    });
    expect(plan.results.map((r) => [r.dimensions[0], r.metrics[0]])).toEqual([['pro', 1]]);
  });

  it('delivers an event tracked right before navigating away, counted once', async () => {
    const shop = await newShop();
    const page = await open(shop);
    await track(page, 'signup', { plan: 'free' });
    await page.evaluate(() => (location.href = 'https://partner.example.org/bye'));
    await page.waitForURL('https://partner.example.org/bye');
    // Coming back loads the script again, which resends whatever its outbox still holds.
    await page.goto(shop.site.url + '/about.html');
    await expectCounts(shop, { pageview: 2, signup: 1 });
  });

  it('counts events made offline exactly once after coming back online', async () => {
    const shop = await newShop();
    const page = await open(shop);
    await expectCounts(shop, { pageview: 1 });
    await context!.setOffline(true);
    await page.click('text=Products');
    await track(page, 'offline_event', { n: 1 });
    await sleep(3000);
    await context!.setOffline(false);
    await expectCounts(shop, { pageview: 2, offline_event: 1 });
    await page.reload();
    await expectCounts(shop, { pageview: 3, offline_event: 1 });
  });

  it('keeps events while the collector answers 503, then counts them exactly once', async () => {
    const shop = await newShop();
    const page = await open(shop);
    await expectCounts(shop, { pageview: 1 });
    await nats.stop();
    try {
      // The collector cannot reach JetStream: it must refuse with 503 and Retry-After.
      const probe = await fetch(`${system.collectorUrl}/v1/batch?key=${shop.writeKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ name: 'probe', id: 'probe-1' }] }),
      });
      expect(probe.status).toBe(503);
      expect(probe.headers.get('retry-after')).toMatch(/^\d+$/);
      await page.click('text=Products');
      await track(page, 'during_outage', { n: 1 });
      await track(page, 'during_outage', { n: 2 });
      await sleep(6000); // several refused attempts
    } finally {
      await nats.restart();
    }
    await expectCounts(shop, { pageview: 2, during_outage: 2 }, 90_000);
  });

  it('made the collector answer no CORS preflight: every batch was a simple request', async () => {
    const metrics = await (await fetch(`${system.collectorUrl}/metrics`)).text();
    const batches = [...metrics.matchAll(/^pulse_collector_requests_total\{route="batch",status="202"\} (\d+)/gm)];
    expect(Number(batches[0]?.[1] ?? 0)).toBeGreaterThan(5);
    expect(metrics).not.toMatch(/^pulse_collector_requests_total\{route="preflight"[^}]*\} [1-9]/m);
  });
});
