// Shared setup of the browser test files: one Chromium, one recording sink and
// the merchant site per file, a fresh browser context per test, and the
// no-preflight rule checked after every test.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startSink, type Sink, type SinkEvent } from './sink.js';
import { startSite, type Site } from './site.js';

export const KEY = 'wk_0123456789abcdefghijABCDEFGHIJ01';

export interface SinkSuite {
  browser: Browser;
  sink: Sink;
  site: Site;
  context: BrowserContext;
  /** A fresh context (empty localStorage) on `path` of the merchant site. */
  open(path: string): Promise<Page>;
  /** A fresh context without opening anything. */
  newContext(): Promise<BrowserContext>;
}

/** `script`: the build the merchant page loads (the site rewrites its script tag). */
export function sinkSuite(script = 'script.full.js'): SinkSuite {
  const suite = {} as SinkSuite;
  beforeAll(async () => {
    [suite.browser, suite.sink] = await Promise.all([launchChromium(), startSink()]);
    suite.site = await startSite({ collector: suite.sink.url, key: KEY, script });
  });
  afterAll(async () => {
    await Promise.all([suite.browser?.close(), suite.sink?.close(), suite.site?.close()]);
  });
  afterEach(async () => {
    await suite.context?.close();
    // Every request of every test must have been CORS-simple: no preflight.
    const preflights = suite.sink.preflights().map((r) => r.path);
    suite.sink.reset();
    expect(preflights).toEqual([]);
  });
  suite.newContext = async () => {
    suite.context = await suite.browser.newContext();
    // The merchant's outbound links lead off-site: answer them locally.
    await suite.context.route('https://*.example.org/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<title>elsewhere</title>' }),
    );
    return suite.context;
  };
  suite.open = async (path) => {
    const page = await (await suite.newContext()).newPage();
    await page.goto(suite.site.url + path);
    return page;
  };
  return suite;
}

type PulseWindow = { pulse: ((...args: unknown[]) => void) & { t?: 1 } };

/** Calls `pulse(...args)` in the page. */
export function pulse(page: Page, ...args: unknown[]): Promise<void> {
  return page.evaluate((a) => (window as unknown as PulseWindow).pulse(...a), args);
}

/** Resolves once the script tag has replaced the snippet's queueing `pulse`. */
export function scriptLoaded(page: Page): Promise<unknown> {
  return page.waitForFunction(() => (window as unknown as PulseWindow).pulse?.t === 1);
}

export const names = (events: SinkEvent[]): string[] => events.map((e) => e.name);
