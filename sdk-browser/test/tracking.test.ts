// The script tag in Chromium against a recording sink: what it records.
import { describe, expect, it } from 'vitest';
import { sleep, waitFor } from './harness/browser.js';
import { KEY, names, pulse, scriptLoaded, sinkSuite } from './harness/suite.js';
import { scriptPage } from './harness/site.js';

const s = sinkSuite();
const pageviewPaths = () => s.sink.accepted().filter((e) => e.name === 'pageview').map((e) => new URL(e.url).pathname);

describe('tracking', () => {
  it('sends a pageview on load: msgpack in a text/plain POST, key in the query', async () => {
    const page = await s.open('/');
    const [post] = await waitFor('the first batch', () => s.sink.posts().length > 0 && s.sink.posts());
    expect(post!.path).toBe('/v1/batch');
    expect(post!.query.get('key')).toBe(KEY);
    expect(post!.headers['content-type']).toBe('text/plain');
    expect(post!.body[0]).toBe(0xde); // a msgpack map16, as msgpackr writes it
    expect(post!.batch!.sent_at).toBeGreaterThan(Date.now() - 60_000);
    const [e] = post!.batch!.events;
    expect(e).toMatchObject({
      name: 'pageview',
      url: `${s.site.url}/`,
      title: 'Acme Shop', // the page's own <title>: app.js sets its route title after the script ran
      referrer: '',
      screen_width: await page.evaluate(() => screen.width),
      lang: await page.evaluate(() => navigator.language),
    });
    expect(e!.id).toMatch(/^\d{4,40}$/);
    expect(Math.abs(e!.ts - Date.now())).toBeLessThan(30_000);
    // Cookieless by default: no ids, nothing in localStorage (the outbox is in sessionStorage).
    expect(e!.visitor_id).toBeUndefined();
    expect(e!.session_id).toBeUndefined();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('counts SPA navigations (pushState, popstate), not a replaceState to the same URL, with the new title', async () => {
    const page = await s.open('/');
    await page.click('text=Products');
    await page.click('text=Cart');
    await page.evaluate(() => history.replaceState({ scroll: 1 }, '', location.href));
    await page.click('text=Checkout');
    // A person looks at a page before going back; a goBack within the same millisecond can land
    // before the script's next task, which then sees /cart again and rightly counts nothing.
    await waitFor('the checkout pageview', () => pageviewPaths().includes('/checkout'));
    await page.goBack(); // popstate back to /cart
    await waitFor('the pageview of /cart again', () => pageviewPaths().filter((p) => p === '/cart').length === 2);
    // Two pushStates in one task (a redirect) count once, as where they lead.
    await page.evaluate(() => {
      history.pushState({}, '', '/redirecting');
      history.pushState({}, '', '/products');
    });
    await waitFor('six pageviews', () => pageviewPaths().length >= 6);
    await sleep(2200);
    expect(pageviewPaths()).toEqual(['/', '/products', '/cart', '/checkout', '/cart', '/products']);
    expect(s.sink.accepted().find((e) => e.url.endsWith('/checkout'))!.title).toBe('Acme Shop: /checkout');
  });

  it('tracks a custom event with props and revenue, and replays calls queued before the script loaded', async () => {
    s.site.page(
      '/queued.html',
      `${scriptPage(`${s.sink.url}/script.js`, KEY, 'data-allow-localhost')}
<script>pulse('track', 'early', { step: 1 }); pulse('nonsense');</script>`,
    );
    const page = await s.open('/queued.html');
    await scriptLoaded(page);
    await pulse(page, 'track', 'purchase', { plan: 'pro', items: 2, gift: false }, { revenue: { amount: 49.5, currency: 'EUR' } });
    await waitFor('three events', () => s.sink.accepted().length >= 3);
    const events = s.sink.accepted();
    expect(names(events)).toEqual(['early', 'pageview', 'purchase']);
    expect(events[0]!.props).toEqual({ step: 1 });
    expect(events[2]).toMatchObject({ props: { plan: 'pro', items: 2, gift: false }, revenue: { amount: 49.5, currency: 'EUR' } });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  it('cuts strings the collector would refuse (over 1024 characters) instead of losing the event', async () => {
    s.site.page('/long.html', scriptPage(`${s.sink.url}/script.js`, KEY, 'data-allow-localhost'));
    const page = await s.open(`/long.html?q=${'x'.repeat(2000)}`);
    await page.evaluate(() => (document.title = 't'.repeat(1500)));
    await pulse(page, 'track', 'after_title');
    await waitFor('two events', () => s.sink.accepted().length >= 2);
    const [pv, custom] = s.sink.accepted();
    expect(pv!.url).toHaveLength(1024);
    expect(custom!.title).toHaveLength(1024);
  });

  it('sends a batch at 10 events without waiting, and fewer after 2 s', async () => {
    s.site.page('/manual.html', scriptPage(`${s.sink.url}/script.js`, KEY, 'data-allow-localhost data-manual'));
    const page = await s.open('/manual.html');
    await scriptLoaded(page);
    const t0 = Date.now();
    await page.evaluate(() => {
      for (let i = 0; i < 13; i++) (window as unknown as { pulse: (...a: unknown[]) => void }).pulse('track', `e${i}`);
    });
    await waitFor('the first batch', () => s.sink.posts().length >= 1);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(s.sink.posts()[0]!.batch!.events).toHaveLength(10);
    await waitFor('the rest', () => s.sink.posts().length >= 2, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(names(s.sink.posts()[1]!.batch!.events)).toEqual(['e10', 'e11', 'e12']);
  });

  it('records outbound link and file download clicks when switched on', async () => {
    s.site.page(
      '/links.html',
      scriptPage(
        `${s.sink.url}/script.links.js`,
        KEY,
        'data-allow-localhost data-outbound data-downloads',
        '<a id="pdf" href="/files/price-list.PDF">prices</a> <a id="int" href="/other">inside</a> <a id="out" href="https://partner.example.org/x?y=1">partner</a>',
      ),
    );
    const page = await s.open('/links.html');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    await page.evaluate(() => document.querySelectorAll('#pdf, #int').forEach((a) => a.addEventListener('click', (e) => e.preventDefault())));
    await page.click('#pdf');
    await page.click('#int'); // same host: not outbound
    await page.click('#out'); // navigates away: delivered on page hide
    await waitFor('two click events', () => s.sink.accepted().length >= 3);
    await sleep(500);
    expect(s.sink.accepted().slice(1).map((e) => [e.name, e.props])).toEqual([
      ['file_download', { url: `${s.site.url}/files/price-list.PDF` }],
      ['outbound_click', { url: 'https://partner.example.org/x?y=1' }],
    ]);
  });

  it('takes the download extensions from data-downloads', async () => {
    s.site.page(
      '/ext.html',
      scriptPage(`${s.sink.url}/script.links.js`, KEY, 'data-allow-localhost data-manual data-downloads="epub, mobi"', '<a id="a" href="/b.mobi">m</a> <a id="b" href="/c.pdf">p</a>'),
    );
    const page = await s.open('/ext.html');
    await scriptLoaded(page);
    await page.evaluate(() => document.querySelectorAll('a').forEach((a) => a.addEventListener('click', (e) => e.preventDefault())));
    await page.click('#a');
    await page.click('#b');
    await waitFor('the download', () => s.sink.accepted().length >= 1);
    await sleep(2200);
    expect(s.sink.accepted().map((e) => e.props!.url)).toEqual([`${s.site.url}/b.mobi`]);
  });

  it('counts hash routes as pages with data-hash', async () => {
    s.site.page('/hash.html', scriptPage(`${s.sink.url}/script.hash.js`, KEY, 'data-allow-localhost data-hash'));
    const page = await s.open('/hash.html');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    await page.evaluate(() => (location.hash = '#/products'));
    await page.evaluate(() => (location.hash = '#/cart?coupon=x'));
    await waitFor('three pageviews', () => s.sink.accepted().length >= 3);
    expect(s.sink.accepted().map((e) => e.url)).toEqual([`${s.site.url}/hash.html`, `${s.site.url}/hash.html/products`, `${s.site.url}/hash.html/cart?coupon=x`]);
  });

  it('with data-hash keeps the page query a query and merges the route query into it', async () => {
    s.site.page('/hash.html', scriptPage(`${s.sink.url}/script.hash.js`, KEY, 'data-allow-localhost data-hash'));
    const page = await s.open('/hash.html?utm_campaign=x#/products');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    await page.evaluate(() => (location.hash = '#/cart?step=2'));
    await waitFor('two pageviews', () => s.sink.accepted().length >= 2);
    const urls = s.sink.accepted().map((e) => new URL(e.url));
    expect(urls.map((u) => u.pathname)).toEqual(['/hash.html/products', '/hash.html/cart']);
    expect(urls.map((u) => u.search)).toEqual(['?utm_campaign=x', '?utm_campaign=x&step=2']);
  });

  it('ignores hash changes without data-hash', async () => {
    const page = await s.open('/');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    await page.evaluate(() => (location.hash = '#section-2'));
    await sleep(2200);
    expect(pageviewPaths()).toEqual(['/']);
  });

  it('sends to the folder the script came from, so a first-party proxy path works', async () => {
    s.site.page('/proxied.html', scriptPage(`${s.sink.url}/stats/script.js`, KEY, 'data-allow-localhost'));
    await s.open('/proxied.html');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    expect(s.sink.posts()[0]!.path).toBe('/stats/v1/batch');
  });

  it('sends to data-api when given', async () => {
    s.site.page('/api.html', scriptPage(`${s.sink.url}/script.js`, KEY, `data-allow-localhost data-api="${s.sink.url}/elsewhere/"`));
    await s.open('/api.html');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    expect(s.sink.posts()[0]!.path).toBe('/elsewhere/v1/batch');
  });

  it('does not count twice when the script is on the page twice', async () => {
    s.site.page(
      '/twice.html',
      scriptPage(`${s.sink.url}/script.js`, KEY, 'data-allow-localhost') + `<script defer src="${s.sink.url}/script.js" data-key="${KEY}" data-allow-localhost></script>`,
    );
    await s.open('/twice.html');
    await waitFor('the pageview', () => s.sink.accepted().length >= 1);
    await sleep(2200);
    expect(s.sink.accepted()).toHaveLength(1);
  });
});
