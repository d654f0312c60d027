import type { Deps } from '../deps.js';
import { sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { openApiDocument } from '../openapi.js';

export function registerOps(router: Router, d: Deps): void {
  const openapi = JSON.stringify(openApiDocument({ maxBodyBytes: d.opts.maxBodyBytes, tenancyStaleMaxMs: d.opts.tenancyStaleMaxMs }));

  router.add('GET', '/healthz', ({ res }) => sendJson(res, 200, { status: 'ok' }));

  router.add('GET', '/readyz', async ({ res }) => {
    const { httpStatus, body } = await d.readiness();
    sendJson(res, httpStatus, body);
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
