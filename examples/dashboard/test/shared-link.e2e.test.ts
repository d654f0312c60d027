import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '@pulse/testkit';
import { INVALID_SHARED_LINK } from '../src/shared-link.js';
import { ARTIFACTS_DIR, createTenant, eventually, query, sendEvents, startSystem, type SeedEvent, type System, type Tenant } from './system.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UI_TIMEOUT = 20_000;

/** Visitors and pageviews of each site, 10 to 12 minutes ago: different on every site, so a card shows whose numbers it holds. */
const TRAFFIC = { shop: { visitors: 3, pageviews: 5 }, blog: { visitors: 2, pageviews: 2 }, docs: { visitors: 4, pageviews: 4 } };

function visits(host: string, n: { visitors: number; pageviews: number }, now: number): SeedEvent[] {
  const out: SeedEvent[] = [];
  for (let i = 0; i < n.pageviews; i++) {
    const k = i % n.visitors;
    out.push({ name: 'pageview', ts: now - 12 * 60_000 + i * 10_000, url: `https://${host}/p${i}`, visitor_id: `${host}-v${k}`, session_id: `${host}-s${k}` });
  }
  return out;
}

describe('shared dashboard links (#key=<read_key>&site=<site_id>)', () => {
  let system: System;
  let browser: Browser;
  let tenant: Tenant;
  let shop: Tenant['sites'][number];
  let blog: Tenant['sites'][number];
  let docs: Tenant['sites'][number];
  const contexts: BrowserContext[] = [];

  /** A read key of the tenant's limited to these sites, made through the admin API. */
  async function scopedKey(sites: Tenant['sites'][number][], label: string): Promise<string> {
    const r = await api<{ read_key: string; site_ids: string[] }>(`${system.embedded.queryUrl}/v1/admin/keys`, {
      token: system.embedded.adminToken,
      body: { merchant_id: tenant.merchantId, site_ids: sites.map((s) => s.siteId), label },
    });
    expect([r.status, r.body.site_ids]).toEqual([201, sites.map((s) => s.siteId)]);
    return r.body.read_key;
  }

  beforeAll(async () => {
    system = await startSystem();
    tenant = await createTenant(system.embedded.queryUrl, 'shared-links', [
      { domain: 'shop.example.com', timezone: 'UTC' },
      { domain: 'blog.example.com', timezone: 'UTC' },
      { domain: 'docs.example.com', timezone: 'UTC' },
    ]);
    [shop, blog, docs] = tenant.sites as [Tenant['sites'][number], Tenant['sites'][number], Tenant['sites'][number]];
    const now = Date.now();
    const week = { from: new Date(now - 8 * 86_400_000).toISOString(), to: new Date(now + 3_600_000).toISOString() };
    for (const [site, n] of [[shop, TRAFFIC.shop], [blog, TRAFFIC.blog], [docs, TRAFFIC.docs]] as const) {
      await sendEvents(system.embedded.collectorUrl, site.writeKey, visits(site.domain, n, now));
      await eventually(
        `${site.domain} stored`,
        () => query(system.embedded.queryUrl, tenant.checkKey, { site_id: site.siteId, metrics: ['visitors', 'pageviews'], date_range: week }),
        (r) => r.results[0]?.metrics[0] === n.visitors && r.results[0]?.metrics[1] === n.pageviews,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
  });

  /** A fresh tab (its own sessionStorage) that records every URL it asks for and every Referer it sends. */
  async function newPage(): Promise<{ page: Page; sent: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const sent: string[] = [];
    page.on('request', (r) => sent.push(r.url(), r.headers().referer ?? ''));
    return { page, sent };
  }

  const card = (page: Page, metric: string) => page.getAttribute(`[data-testid="card-${metric}"]`, 'data-value');
  const storedKey = (page: Page) => page.evaluate(() => [sessionStorage.getItem('pulse.read_key'), sessionStorage.getItem('pulse.shared_view')]);

  it("opens the link's site with its numbers, the key gone from the address, only that site on offer", async () => {
    const key = await scopedKey([shop], 'shop owner');
    const { page, sent } = await newPage();
    const sites = page.waitForResponse((r) => r.url().endsWith('/v1/sites'));
    await page.goto(`${system.embedded.queryUrl}/?range=30d#key=${key}&site=${shop.siteId}`);
    // What the API lists for this key: the shop alone.
    const listed = (await (await sites).json()) as { sites: { site_id: string }[] };
    expect(listed.sites.map((s) => s.site_id)).toEqual([shop.siteId]);
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.shop.visitors));
    expect(await card(page, 'pageviews')).toBe(String(TRAFFIC.shop.pageviews));
    expect(await page.textContent('[data-testid="page-title"]')).toBe(shop.domain);
    expect(await page.textContent('[data-testid="shared-view"]')).toBe('Shared view');
    // One site: no picker to choose another (the <h1> names it), as for any key of one site.
    expect(await page.locator('[data-testid="site-select"]').count()).toBe(0);

    // The address holds the view (the link's period kept) and the site, not the key; nor does history.
    const url = new URL(page.url());
    expect([url.hash, url.searchParams.get('site'), url.searchParams.get('range')]).toEqual(['', shop.siteId, '30d']);
    expect(page.url()).not.toContain(key);
    // replaceState rewrote the link's own history entry: back is the blank tab, forward the view without the key.
    expect(await page.evaluate(() => history.length)).toBe(2);
    await page.goBack();
    expect(page.url()).toBe('about:blank');
    await page.goForward();
    expect(page.url()).toBe(url.href);
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.shop.visitors));
    expect(await storedKey(page)).toEqual([key, '1']);
    // Never in a URL asked for nor in a Referer: only in the Authorization header the API needs.
    expect(sent.length).toBeGreaterThan(3);
    expect(sent.filter((s) => s.includes(key))).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'shared-view.png') });

    // A reload stays in the shared view, on the shop.
    await page.reload();
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.shop.visitors));
    expect(await page.locator('[data-testid="shared-view"]').count()).toBe(1);

    // Another site of the merchant named in the address: the key cannot read it, so the shop is shown.
    await page.goto(`${system.embedded.queryUrl}/?site=${blog.siteId}`);
    await expect.poll(() => new URL(page.url()).searchParams.get('site'), { timeout: UI_TIMEOUT }).toBe(shop.siteId);
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.shop.visitors));
    expect(await page.textContent('[data-testid="page-title"]')).toBe(shop.domain);
    const blogAsked = await api(`${system.embedded.queryUrl}/v1/realtime?site_id=${blog.siteId}`, { token: key });
    expect([blogAsked.status, blogAsked.body]).toEqual([404, { error: { code: 'not_found', message: 'site not found' } }]);
  });

  it("a key of two of the merchant's three sites offers those two in the picker", async () => {
    const key = await scopedKey([shop, blog], 'agency');
    const { page } = await newPage();
    await page.goto(`${system.embedded.queryUrl}/#key=${key}&site=${blog.siteId}`);
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.blog.visitors));
    expect(await page.textContent('[data-testid="page-title"]')).toBe(blog.domain);
    const options = await page.$$eval('[data-testid="site-select"] option', (os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
    expect(options).toEqual([
      [shop.siteId, shop.domain],
      [blog.siteId, blog.domain],
    ]);
    expect(options.flat()).not.toContain(docs.siteId);
    await page.selectOption('[data-testid="site-select"]', shop.siteId);
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.shop.visitors));
    expect(await page.locator('[data-testid="shared-view"]').count()).toBe(1);
  });

  it('a link cut short signs in nobody and leaves the address; the form then signs in without the shared marker', async () => {
    const key = await scopedKey([docs], 'docs');
    const { page } = await newPage();
    await page.goto(`${system.embedded.queryUrl}/?range=30d#key=${key.slice(0, 20)}&site=${docs.siteId}`);
    await expect.poll(() => page.textContent('[data-testid="signin-error"]')).toBe(INVALID_SHARED_LINK);
    expect(new URL(page.url()).hash).toBe('');
    expect(await storedKey(page)).toEqual([null, null]);

    await page.fill('#read-key', tenant.readKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="card-visitors"]');
    expect(await page.locator('[data-testid="shared-view"]').count()).toBe(0);
    expect(await page.locator('[data-testid="site-select"] option').count()).toBe(3);

    // A shared link pasted over the open dashboard (only the fragment changes): it takes over.
    await page.evaluate(([k, s]) => (location.hash = `#key=${k}&site=${s}`), [key, docs.siteId] as const);
    await expect.poll(() => page.locator('[data-testid="shared-view"]').count(), { timeout: UI_TIMEOUT }).toBe(1);
    await expect.poll(() => card(page, 'visitors'), { timeout: UI_TIMEOUT }).toBe(String(TRAFFIC.docs.visitors));
    expect(page.url()).not.toContain(key);
    expect(await page.locator('[data-testid="site-select"]').count()).toBe(0);
    expect(await storedKey(page)).toEqual([key, '1']);

    // Signing out ends it: key and marker gone.
    await page.click('text=Sign out');
    await page.waitForSelector('#read-key');
    expect(await storedKey(page)).toEqual([null, null]);
  });
});
