// The script tag in Chromium against a recording sink: privacy switches, and
// what each mode keeps in the visitor's browser.
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { sleep, waitFor } from './harness/browser.js';
import { KEY, pulse, scriptLoaded, sinkSuite } from './harness/suite.js';
import { scriptPage } from './harness/site.js';

const s = sinkSuite();

/**
 * Takes the collector down for `context`'s batches (the script itself still
 * loads): connections refused, and a 503 for the beacons Chromium sends past
 * Playwright's routing. Returns the count of refused sends and a way back up.
 */
async function collectorDown(context: BrowserContext): Promise<{ refused: () => number; up: () => Promise<void> }> {
  let refused = 0;
  const pattern = `${s.sink.url}/v1/batch**`;
  await context.route(pattern, (route) => {
    refused++;
    return route.abort('connectionrefused');
  });
  s.sink.respond(() => ({ status: 503 }));
  return {
    refused: () => refused + s.sink.posts().length,
    up: async () => {
      s.sink.respond(undefined);
      await context.unroute(pattern);
    },
  };
}

/** Everything in the page's localStorage, and the names of the events in each storage area's outbox. */
function storage(page: Page): Promise<{ local: Record<string, string>; localOutbox?: string[]; sessionOutbox?: string[] }> {
  return page.evaluate(() => {
    const names = (json?: string) => (json === undefined ? undefined : (JSON.parse(json) as { name: string }[]).map((e) => e.name));
    return { local: { ...localStorage }, localOutbox: names(localStorage.pulse_q), sessionOutbox: names(sessionStorage.pulse_q) };
  });
}

describe('privacy', () => {
  it('stays silent on localhost unless data-allow-localhost is set', async () => {
    s.site.page('/plain.html', scriptPage(`${s.sink.url}/script.js`, KEY));
    s.site.page('/allowed.html', scriptPage(`${s.sink.url}/script.js`, KEY, 'data-allow-localhost'));
    const page = await (await s.newContext()).newPage();
    await page.goto(`http://localhost:${s.site.port}/plain.html`);
    await page.goto(`http://127.0.0.1:${s.site.port}/plain.html`);
    await sleep(2200);
    expect(s.sink.posts()).toEqual([]);
    await page.goto(`http://localhost:${s.site.port}/allowed.html`);
    await waitFor('a pageview with data-allow-localhost', () => s.sink.accepted().length >= 1);
  });

  it('honours Global Privacy Control and Do Not Track when data-dnt is set', async () => {
    s.site.page('/dnt.html', scriptPage(`${s.sink.url}/script.full.js`, KEY, 'data-allow-localhost data-dnt'));
    s.site.page('/no-dnt.html', scriptPage(`${s.sink.url}/script.full.js`, KEY, 'data-allow-localhost'));
    const context = await s.newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const page = await context.newPage();
    await page.goto(`${s.site.url}/dnt.html`);
    await sleep(2200);
    expect(s.sink.posts()).toEqual([]);
    await page.goto(`${s.site.url}/no-dnt.html`);
    await waitFor('a pageview without data-dnt', () => s.sink.accepted().length >= 1);

    const dnt = await (await s.newContext()).newPage();
    await dnt.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));
    await dnt.goto(`${s.site.url}/dnt.html`);
    await sleep(2200);
    expect(s.sink.posts()).toHaveLength(1);
  });

  it('on a silent page still defines pulse, as a no-op, for pages without the snippet', async () => {
    // No snippet, and the script twice: the second copy must do nothing either.
    const bare = (script: string, attrs = ''): string => {
      const tag = `<script defer src="${s.sink.url}/${script}" data-key="${KEY}" ${attrs}></script>`;
      return `<!doctype html><html><head><title>Bare</title>${tag}${tag}</head><body></body></html>`;
    };
    s.site.page('/bare-local.html', bare('script.js'));
    s.site.page('/bare-dnt.html', bare('script.full.js', 'data-allow-localhost data-dnt'));
    const context = await s.newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    for (const path of ['/bare-local.html', '/bare-dnt.html']) {
      await page.goto(`${s.site.url}${path}`);
      // As the page's own code would call it: a bare global.
      const seen = await page.evaluate(() => {
        try {
          return new Function("pulse('track', 'ignored', { a: 1 }); pulse('pageview'); pulse('consent', true); return typeof pulse + ' ' + pulse.t")() as string;
        } catch (e) {
          return String(e);
        }
      });
      expect(seen, path).toBe('function 1');
    }
    await sleep(2200);
    expect(s.sink.posts()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('keeps a visitor and session id only with consent, and forgets them when withdrawn', async () => {
    s.site.page('/persist.html', scriptPage(`${s.sink.url}/script.persist.js`, KEY, 'data-allow-localhost data-manual'));
    const page = await s.open('/persist.html');
    await scriptLoaded(page);
    await pulse(page, 'track', 'before');
    await pulse(page, 'consent', true);
    await pulse(page, 'track', 'granted1');
    await pulse(page, 'track', 'granted2');
    await pulse(page, 'consent', false);
    await pulse(page, 'track', 'withdrawn');
    await waitFor('four events', () => s.sink.accepted().length >= 4);
    const [before, g1, g2, after] = s.sink.accepted();
    expect(before!.visitor_id).toBeUndefined();
    expect(g1!.visitor_id).toMatch(/^\d+$/);
    expect(g1!.session_id).toMatch(/^\d+$/);
    expect([g2!.visitor_id, g2!.session_id]).toEqual([g1!.visitor_id, g1!.session_id]);
    expect(after!.visitor_id).toBeUndefined();
    expect(after!.session_id).toBeUndefined();
    // Withdrawn: only the remembered refusal is left.
    expect((await storage(page)).local).toEqual({ pulse_c: '0' });
  });

  it('with data-persist keeps ids across page loads, and starts a new session after 30 idle minutes', async () => {
    s.site.page('/persist-on.html', scriptPage(`${s.sink.url}/script.persist.js`, KEY, 'data-allow-localhost data-persist'));
    const page = await s.open('/persist-on.html');
    await waitFor('the first pageview', () => s.sink.accepted().length >= 1);
    await page.reload();
    await waitFor('the second pageview', () => s.sink.accepted().length >= 2);
    // Pretend the last activity was 31 minutes ago.
    await page.evaluate(() => {
      const [sid] = localStorage.pulse_s.split('.');
      localStorage.pulse_s = `${sid}.${Date.now() - 31 * 60_000}`;
    });
    await page.reload();
    await waitFor('the third pageview', () => s.sink.accepted().length >= 3);
    const [a, b, c] = s.sink.accepted();
    expect(a!.visitor_id).toBeTruthy();
    expect([b!.visitor_id, b!.session_id]).toEqual([a!.visitor_id, a!.session_id]);
    expect(c!.visitor_id).toBe(a!.visitor_id);
    expect(c!.session_id).not.toBe(a!.session_id);
  });

  it('with data-persist still honours a withdrawn consent on later loads', async () => {
    s.site.page('/persist-on.html', scriptPage(`${s.sink.url}/script.persist.js`, KEY, 'data-allow-localhost data-persist'));
    const page = await s.open('/persist-on.html');
    await scriptLoaded(page);
    await pulse(page, 'consent', false);
    await page.reload();
    // The first page's pageview may arrive twice (page hide, then the outbox on
    // reload): same id. Look at the pageview of the reloaded page.
    const ids = () => new Set(s.sink.accepted().map((e) => e.id));
    await waitFor('two distinct pageviews', () => ids().size >= 2);
    const [first, second] = [...ids()].map((id) => s.sink.accepted().find((e) => e.id === id)!);
    expect(first!.visitor_id).toMatch(/^\d+$/);
    expect(second!.visitor_id).toBeUndefined();
    expect(second!.session_id).toBeUndefined();
  });

  for (const script of ['script.js', 'script.full.js']) {
    it(`cookieless (${script}): nothing in localStorage with the collector down; unsent events wait in sessionStorage and are delivered once it is up, within the tab`, async () => {
      s.site.page(`/cookieless-${script}.html`, scriptPage(`${s.sink.url}/${script}`, KEY, 'data-allow-localhost'));
      const context = await s.newContext();
      const collector = await collectorDown(context);
      const page = await context.newPage();
      await page.goto(`${s.site.url}/cookieless-${script}.html`);
      await scriptLoaded(page);
      await pulse(page, 'track', 'while_down');
      await waitFor('a refused send', () => collector.refused() >= 1);
      expect(await storage(page)).toEqual({ local: {}, localOutbox: undefined, sessionOutbox: ['pageview', 'while_down'] });

      // A reload stays in the tab, and so does the outbox.
      await page.reload();
      await waitFor('the outbox with the new pageview', async () => (await storage(page)).sessionOutbox?.length === 3);
      const refused = collector.refused();
      await waitFor('a refused send from the reloaded page', () => collector.refused() > refused);
      expect(await storage(page)).toEqual({ local: {}, localOutbox: undefined, sessionOutbox: ['pageview', 'while_down', 'pageview'] });
      // Another tab has an outbox of its own. Closed, it takes its events along
      // (its page hide sent them, which may yet arrive).
      const other = await context.newPage();
      await other.goto(`${s.site.url}/cookieless-${script}.html`);
      await waitFor('the other tab\'s pageview in its outbox', async () => (await storage(other)).sessionOutbox?.length === 1);
      const outboxIds = (p: Page) => p.evaluate(() => (JSON.parse(sessionStorage.pulse_q) as { id: string }[]).map((e) => e.id));
      const [tabIds, otherIds] = [await outboxIds(page), await outboxIds(other)];
      await other.close();
      expect(s.sink.accepted()).toEqual([]);

      await collector.up();
      const acceptedIds = () => new Set(s.sink.accepted().map((e) => e.id));
      await waitFor('the three events of the tab', () => tabIds.every((id) => acceptedIds().has(id)), 15_000);
      await waitFor('an empty outbox', async () => (await storage(page)).sessionOutbox?.length === 0);
      expect([...acceptedIds()].filter((id) => !tabIds.includes(id) && !otherIds.includes(id))).toEqual([]);
      expect(tabIds.map((id) => s.sink.accepted().find((e) => e.id === id)!.name).sort()).toEqual(['pageview', 'pageview', 'while_down']);
      expect(s.sink.accepted().every((e) => e.visitor_id === undefined && e.session_id === undefined)).toBe(true);
      expect(await storage(page)).toEqual({ local: {}, localOutbox: undefined, sessionOutbox: [] });
    });
  }

  it('with data-persist keeps unsent events in localStorage; withdrawing consent moves them to sessionStorage, and they are still delivered', async () => {
    s.site.page('/persist-outbox.html', scriptPage(`${s.sink.url}/script.persist.js`, KEY, 'data-allow-localhost data-persist'));
    const context = await s.newContext();
    const collector = await collectorDown(context);
    const page = await context.newPage();
    await page.goto(`${s.site.url}/persist-outbox.html`);
    await scriptLoaded(page);
    await pulse(page, 'track', 'while_down');
    await waitFor('a refused send', () => collector.refused() >= 1);
    const before = await storage(page);
    expect(before.localOutbox).toEqual(['pageview', 'while_down']);
    expect(before.sessionOutbox).toBeUndefined();
    expect(Object.keys(before.local).sort()).toEqual(['pulse_q', 'pulse_s', 'pulse_v']);

    await pulse(page, 'consent', false);
    await pulse(page, 'track', 'after_withdrawal');
    expect(await storage(page)).toEqual({ local: { pulse_c: '0' }, localOutbox: undefined, sessionOutbox: ['pageview', 'while_down', 'after_withdrawal'] });
    // A reload in the tab still finds them, and stores nothing new.
    await page.reload();
    await waitFor('the outbox with the new pageview', async () => (await storage(page)).sessionOutbox?.length === 4);
    expect((await storage(page)).local).toEqual({ pulse_c: '0' });
    expect(s.sink.accepted()).toEqual([]);

    await collector.up();
    await waitFor('the four events', () => new Set(s.sink.accepted().map((e) => e.id)).size >= 4, 15_000);
    await waitFor('an empty outbox', async () => (await storage(page)).sessionOutbox?.length === 0);
    const byName = Object.fromEntries(s.sink.accepted().map((e) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['after_withdrawal', 'pageview', 'while_down']);
    expect(byName.while_down!.visitor_id).toMatch(/^\d+$/);
    expect(byName.after_withdrawal!.visitor_id).toBeUndefined();
    expect(new Set(s.sink.accepted().map((e) => e.id)).size).toBe(4);
    expect(await storage(page)).toEqual({ local: { pulse_c: '0' }, localOutbox: undefined, sessionOutbox: [] });
  });
});
