import type { Deps } from '../deps.js';
import { sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { openApiDocument } from '../openapi.js';
import { readiness } from '../readiness.js';
import { schemaReady } from '../storage.js';
import { within } from '@pulse/protocol';

/** How long `/readyz` waits for each probe; a load balancer's check must allow more (deploy/haproxy.cfg, `timeout check`). */
export const READY_TIMEOUT_MS = 2_000;
/**
 * How long it waits for NATS once an outage is known: a NATS that is back answers a round trip in
 * milliseconds, and a probe waiting out READY_TIMEOUT_MS made every check of a degraded instance
 * take 2 s.
 */
export const READY_OUTAGE_TIMEOUT_MS = 500;

export function registerOps(router: Router, d: Deps): void {
  const openapi = JSON.stringify(openApiDocument({ maxBodyBytes: d.opts.maxBodyBytes, tenancyStaleMaxMs: d.opts.tenancyStaleMaxMs }));

  router.add('GET', '/healthz', ({ res }) => sendJson(res, 200, { status: 'ok' }));

  // Logged once each time it changes, so a query API started before any aggregator says why it waits.
  let missingSchemaLogged = false;
  router.add('GET', '/readyz', async ({ res }) => {
    const answers = (p: Promise<unknown>, ms = READY_TIMEOUT_MS) =>
      within(p, ms, () => new Error(`no answer within ${ms} ms`)).then(
        (v) => v !== false,
        () => false,
      );
    const natsMs = d.tenancy.natsUnreachableSince() === undefined ? READY_TIMEOUT_MS : READY_OUTAGE_TIMEOUT_MS;
    const [nats, storage] = await Promise.all([answers(d.tenancy.ping(natsMs), natsMs), answers(d.opts.storage.ping())]);
    // The tables are the aggregator's to create (its migrations); reachable storage without them is another state.
    const schema = storage && (await answers(schemaReady(d.opts.storage)));
    if (storage && !schema && !missingSchemaLogged) d.log.log('warn', 'storage has no Pulse schema yet: waiting for an aggregator to apply its migrations');
    missingSchemaLogged = storage && !schema;
    const { httpStatus, body } = readiness({
      nats,
      natsClosed: d.opts.nats.isClosed(),
      storage,
      schema,
      natsUnreachableSince: d.tenancy.natsUnreachableSince(),
      staleMaxMs: d.opts.tenancyStaleMaxMs,
      now: Date.now(),
    });
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
