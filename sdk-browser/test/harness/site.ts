// Serves examples/merchant-site (SPA routes fall back to index.html) with its
// script tag pointed at a given collector, plus extra pages a test registers.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_DIR } from './sink.js';

export const SITE_DIR = fileURLToPath(new URL('../../../examples/merchant-site/', import.meta.url));
/** What the example's script tag says; the site server rewrites both. */
export const EXAMPLE_COLLECTOR = 'http://localhost:8080';
export const EXAMPLE_KEY = 'wk_REPLACE_WITH_YOUR_WRITE_KEY';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript',
  '.css': 'text/css',
};

export interface SiteOptions {
  /** Collector base URL the script tag loads from. */
  collector: string;
  key: string;
  /** Which build the merchant page loads (default `script.js`). */
  script?: string;
}

export interface Site {
  /** http://127.0.0.1:port */
  url: string;
  port: number;
  options: SiteOptions;
  /** Registers an extra HTML page at `path`. */
  page(path: string, html: string): void;
  close(): Promise<void>;
}

export async function startSite(options: SiteOptions): Promise<Site> {
  const pages = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const extra = pages.get(path);
    if (extra !== undefined) return send(200, TYPES['.html']!, extra);
    // The ESM build, for pages that import it as a bundler user would.
    if (path.startsWith('/dist/')) {
      readFile(DIST_DIR + path.slice('/dist/'.length)).then(
        (b) => send(200, TYPES['.js']!, b),
        () => send(404, 'text/plain', 'not found'),
      );
      return;
    }
    const file = extname(path) ? path.slice(1) : 'index.html';
    readFile(SITE_DIR + file, 'utf8').then(
      (text) => {
        const type = TYPES[extname(file)] ?? 'application/octet-stream';
        if (type.startsWith('text/html')) {
          text = text
            .replaceAll(`${EXAMPLE_COLLECTOR}/script.js`, `${options.collector}/${options.script ?? 'script.js'}`)
            .replaceAll(EXAMPLE_KEY, options.key);
        }
        send(200, type, text);
      },
      () => send(404, 'text/plain', 'not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    options,
    page(path, html) {
      pages.set(path, html);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A bare page with one script tag; `attrs` are extra attributes, e.g. `data-hash`. */
export function scriptPage(src: string, key: string, attrs = '', body = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test page</title>
<script>window.pulse = window.pulse || function () { (pulse.q = pulse.q || []).push(arguments) }</script>
<script defer src="${src}" data-key="${key}" ${attrs}></script></head><body>${body}</body></html>`;
}
