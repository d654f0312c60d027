// The script tag in Chromium against a recording sink: privacy switches.
import { describe, expect, it } from 'vitest';
import { sleep, waitFor } from './harness/browser.js';
import { KEY, pulse, scriptLoaded, sinkSuite } from './harness/suite.js';
import { scriptPage } from './harness/site.js';

const s = sinkSuite();

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
    expect(await page.evaluate(() => [localStorage.pulse_c, localStorage.pulse_v, localStorage.pulse_s])).toEqual(['0', '', '']);
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
});
