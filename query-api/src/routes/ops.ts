import type { Deps } from '../deps.js';
import { sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { openApiDocument } from '../openapi.js';
import { schemaReady } from '../storage.js';

export const READY_TIMEOUT_MS = 2_000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function registerOps(router: Router, d: Deps): void {
  const openapi = JSON.stringify(openApiDocument());

  router.add('GET', '/healthz', ({ res }) => sendJson(res, 200, { status: 'ok' }));

  router.add('GET', '/readyz', async ({ res }) => {
    const [nats, storage] = await Promise.all([
      within(d.tenancy.ping(), READY_TIMEOUT_MS).then(
        () => true,
        () => false,
      ),
      within(
        d.opts.storage.ping().then((up) => up && schemaReady(d.opts.storage)),
        READY_TIMEOUT_MS,
      ).catch(() => false),
    ]);
    const ok = nats && storage && !d.opts.nats.isClosed();
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready', nats, storage });
  });

  router.add('GET', '/metrics', async ({ res }) => {
    const text = await d.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': d.metrics.registry.contentType });
    res.end(text);
  });

  router.add('GET', '/openapi.json', ({ res }) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' });
    res.end(openapi);
  });
}
