import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

/** The page's entry: analytics-next as a site bundles it from npm, started by the test with its settings. */
const ENTRY = `
import { AnalyticsBrowser } from '@segment/analytics-next';
window.loadAnalytics = (settings, options) => (window.analytics = AnalyticsBrowser.load(settings, options));
`;

/** `@segment/analytics-next` bundled for the browser as a site's build would (one IIFE, production). */
export async function bundleAnalyticsNext(): Promise<string> {
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: import.meta.dirname, loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const js = out.outputFiles[0];
  if (!js) throw new Error('esbuild produced no bundle');
  return js.text;
}

export interface ShopSite {
  /** `http://127.0.0.1:<port>`: another origin than the collector's, as a merchant's site is. */
  origin: string;
  close(): Promise<void>;
}

/** A merchant's site on loopback: any path is a page titled by its path that loads the bundle. */
export async function serveShop(bundle: string): Promise<ShopSite> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/analytics.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' }).end(bundle);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Shop ${path}</title><script src="/analytics.js"></script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Debian's Chromium, headless, as the project's other browser tests run it (CHROMIUM_PATH overrides it). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}
