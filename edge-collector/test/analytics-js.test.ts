import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { StreamRecord } from '@pulse/protocol';
import { startNats, type TestNats } from '@pulse/testkit';
import { bundleAnalyticsNext, launchChromium, serveShop, type ShopSite } from './analytics-js-page.js';
import { createWriteKey, lastSeq, metricValue, natsTools, recordsAfter, sleep, startCollector, type NatsTools, type RunningCollector, type Runtime } from './helpers.js';

const PREFIX = '/pulse';
const BATCHING = { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 2, timeout: 200 } } } } };

/** What the page's bundle puts on window (analytics-next's calls resolve once delivered, or queued when batching). */
interface ShopWindow {
  /** The instance is also a promise of the loaded library, which fails when the settings cannot be loaded. */
  loadAnalytics(settings: { writeKey: string; cdnURL: string }, options?: unknown): PromiseLike<unknown> & {
    page(): Promise<unknown>;
    track(event: string, properties: Record<string, unknown>): Promise<unknown>;
  };
}

interface Sent {
  method: string;
  url: string;
  contentType: string | undefined;
  body: any;
}

/** Every request the page makes, and the collector's ones with their JSON bodies. */
function watch(page: Page, collector: string): { all: string[]; collector: Sent[]; errors: string[] } {
  const seen = { all: [] as string[], collector: [] as Sent[], errors: [] as string[] };
  page.on('request', (r) => {
    seen.all.push(r.url());
    if (!r.url().startsWith(collector)) return;
    const data = r.postData();
    seen.collector.push({ method: r.method(), url: r.url().slice(collector.length), contentType: r.headers()['content-type'], body: data ? JSON.parse(data) : undefined });
  });
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  return seen;
}

async function eventsArriving(t: NatsTools, after: number, n: number): Promise<StreamRecord[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const records = await recordsAfter(t.jsm, after);
    if (records.flatMap((r) => r.events).length >= n) return records;
    if (Date.now() > deadline) throw new Error(`${n} events did not arrive in EVENTS: ${JSON.stringify(records)}`);
    await sleep(100);
  }
}

/**
 * Segment's browser library, `@segment/analytics-next`, bundled from npm as a site would, in real
 * Chromium on a page of another origin, with its one setting changed: `cdnURL` at the collector.
 * It loads its settings from the collector, then sends there; the events are read back from EVENTS.
 */
describe('analytics.js (@segment/analytics-next) in Chromium', () => {
  let nats: TestNats;
  let t: NatsTools;
  let browser: Browser;
  let shop: ShopSite;

  beforeAll(async () => {
    const bundle = await bundleAnalyticsNext();
    [nats, browser, shop] = await Promise.all([startNats(), launchChromium(), serveShop(bundle)]);
    t = await natsTools(nats.url);
  });

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await t?.nc.close();
    await nats?.cleanup();
  });

  describe.each<Runtime>(['node', 'bun'])('sending to the collector on %s', (runtime) => {
    let c: RunningCollector;

    beforeAll(async () => {
      c = await startCollector(runtime, nats.url, { COLLECTOR_PATH_PREFIX: PREFIX });
    });

    afterAll(async () => {
      await c?.stop('SIGKILL');
    });

    /** Opens a shop page, loads analytics.js pointed at the collector, calls page() and track(). */
    async function visit(key: string, options?: unknown) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const seen = watch(page, c.url);
      const pageUrl = `${shop.origin}/pricing?utm_source=news`;
      await page.goto(pageUrl);
      await page.evaluate(
        async ({ writeKey, cdnURL, options }) => {
          const analytics = (globalThis as unknown as ShopWindow).loadAnalytics({ writeKey, cdnURL }, options);
          await analytics.page();
          await analytics.track('Signed Up', { plan: 'pro' });
        },
        { writeKey: key, cdnURL: `${c.url}${PREFIX}/segment`, options },
      );
      return { context, seen, pageUrl };
    }

    it('loads its settings from the collector and delivers page() and track() one by one, as text/plain with the key in the body', async () => {
      const { key, siteId } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const settingsBefore = await metricValue(c.url, 'pulse_collector_requests_total', 'route="segment_settings",status="200"');
      const { context, seen, pageUrl } = await visit(key);
      const records = await eventsArriving(t, before, 2);
      await context.close();

      // Nothing went to Segment: the page, its script and the collector only.
      expect(seen.all.filter((u) => !u.startsWith(shop.origin) && !u.startsWith(c.url))).toEqual([]);
      expect(seen.collector.map((s) => [s.method, s.url])).toEqual([
        ['GET', `${PREFIX}/segment/v1/projects/${key}/settings`],
        ['POST', `${PREFIX}/segment/v1/p`],
        ['POST', `${PREFIX}/segment/v1/t`],
      ]);
      expect(await metricValue(c.url, 'pulse_collector_requests_total', 'route="segment_settings",status="200"')).toBe(settingsBefore + 1);
      const [pageCall, trackCall] = seen.collector.slice(1).map((s) => s.body);
      for (const s of seen.collector.slice(1)) {
        expect(s.contentType).toBe('text/plain');
        expect(s.body).toMatchObject({ writeKey: key, sentAt: expect.any(String), messageId: expect.stringMatching(/^ajs-next-/) });
      }
      expect(seen.errors).toEqual([]);

      expect(records.map((r) => r.site_id)).toEqual(records.map(() => siteId));
      // A browser's own agent, as for Pulse's script: the aggregator enriches it as the visitor's.
      for (const r of records) expect(r.ua).toMatch(/^Mozilla\/5\.0 .*Chrome\//);
      const events = records.flatMap((r) => r.events);
      const visitor = pageCall.anonymousId as string;
      expect(events).toEqual([
        {
          id: pageCall.messageId,
          name: 'pageview',
          ts: expect.any(Number),
          url: pageUrl,
          title: 'Shop /pricing',
          visitor_id: visitor,
          lang: expect.any(String),
        },
        {
          id: trackCall.messageId,
          name: 'Signed Up',
          ts: expect.any(Number),
          url: pageUrl,
          title: 'Shop /pricing',
          visitor_id: visitor,
          lang: expect.any(String),
          props: { plan: 'pro' },
        },
      ]);
      for (const e of events) expect(Math.abs((e.ts ?? 0) - Date.now())).toBeLessThan(30_000);
    });

    it('sends one batch to /b when the site turns batching on', async () => {
      const { key } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const { context, seen, pageUrl } = await visit(key, BATCHING);
      const records = await eventsArriving(t, before, 2);
      await context.close();

      const posts = seen.collector.filter((s) => s.method === 'POST');
      expect(posts.map((s) => s.url)).toEqual([`${PREFIX}/segment/v1/b`]);
      const body = posts[0]?.body;
      expect(body).toMatchObject({ writeKey: key, sentAt: expect.any(String) });
      expect(body.batch.map((m: { type: string }) => m.type)).toEqual(['page', 'track']);
      expect(seen.errors).toEqual([]);
      const events = records.flatMap((r) => r.events);
      expect(events.map((e) => [e.id, e.name, e.url, e.props])).toEqual([
        [body.batch[0].messageId, 'pageview', pageUrl, undefined],
        [body.batch[1].messageId, 'Signed Up', pageUrl, { plan: 'pro' }],
      ]);
    });

    it('does not load for an unknown write key: the settings answer 401, the library says why and sends nothing', async () => {
      const unknown = `wk_${'U'.repeat(32)}`;
      const context = await browser.newContext();
      const page = await context.newPage();
      const seen = watch(page, c.url);
      await page.goto(`${shop.origin}/`);
      const loaded = await page.evaluate(
        async ({ writeKey, cdnURL }) => {
          const analytics = (globalThis as unknown as ShopWindow).loadAnalytics({ writeKey, cdnURL });
          void analytics.track('Lost', {});
          // The instance is a promise of the loaded library: it fails with the settings' answer.
          return Promise.resolve(analytics).then(
            () => 'loaded',
            (e: unknown) => `failed: ${String(e)}`,
          );
        },
        { writeKey: unknown, cdnURL: `${c.url}${PREFIX}/segment` },
      );
      await sleep(300);
      await context.close();
      expect(loaded).toMatch(/^failed: .*invalid_key/);
      expect(seen.errors.some((e) => e.includes('invalid_key'))).toBe(true);
      expect(seen.collector.map((s) => [s.method, s.url])).toEqual([['GET', `${PREFIX}/segment/v1/projects/${unknown}/settings`]]);
    });
  });
});
