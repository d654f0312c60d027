// The ESM build in Chromium, imported by a page as a bundler's output would.
import { describe, expect, it } from 'vitest';
import { waitFor } from './harness/browser.js';
import { KEY, names, sinkSuite } from './harness/suite.js';

const s = sinkSuite();

describe('ESM build', () => {
  it('init validates its options, replays calls made before it, and tracks', async () => {
    const api = s.sink.url;
    s.site.page(
      '/esm.html',
      `<!doctype html><title>ESM</title><script type="module">
import { init, track, PulseConfigError } from '/dist/index.js';
track('before_init', { n: 1 });
const errors = [];
for (const bad of [{ key: 'nope', api: '${api}' }, { key: '${KEY}', api: 'ftp://x' }, { key: '${KEY}', api: '${api}', hashRouting: 'yes' }]) {
  try { init(bad); } catch (e) { errors.push(e instanceof PulseConfigError ? e.field : String(e)); }
}
init({ key: '${KEY}', api: '${api}/', allowLocalhost: true, outboundLinks: true });
track('after_init', { n: 2 }, { revenue: { amount: 10, currency: 'USD' } });
try { init({ key: '${KEY}', api: '${api}' }); } catch (e) { errors.push(e.code); }
window.errors = errors;
</script>`,
    );
    const page = await s.open('/esm.html');
    await waitFor('three events', () => s.sink.accepted().length >= 3);
    expect(await page.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual(['key', 'api', 'hashRouting', 'already_initialized']);
    expect(names(s.sink.accepted())).toEqual(['before_init', 'pageview', 'after_init']);
    expect(s.sink.accepted()[2]!.revenue).toEqual({ amount: 10, currency: 'USD' });
    expect(s.sink.posts()[0]!.path).toBe('/v1/batch');
  });

  it('does nothing on a page that must stay silent, and drops calls', async () => {
    s.site.page(
      '/esm-local.html',
      `<!doctype html><title>ESM</title><script type="module">
import { init, track } from '/dist/index.js';
init({ key: '${KEY}', api: '${s.sink.url}' });
track('ignored');
window.done = true;
</script>`,
    );
    const page = await s.open('/esm-local.html');
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true);
    await new Promise((r) => setTimeout(r, 2200));
    expect(s.sink.posts()).toEqual([]);
  });
});
