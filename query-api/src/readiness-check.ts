import { within } from '@pulse/protocol';
import type { ResolvedOptions } from './config.js';
import type { Logger } from './log.js';
import { readiness, type Readiness } from './readiness.js';
import { schemaReady } from './storage.js';
import type { TenancyStore } from './tenancy/store.js';

/** How long `/readyz` waits for each probe; a load balancer's check must allow more (deploy/haproxy.cfg, `timeout check`). */
export const READY_TIMEOUT_MS = 2_000;
/**
 * How long it waits for NATS once an outage is known: a NATS that is back answers a round trip in
 * milliseconds, and a probe waiting out READY_TIMEOUT_MS made every check of a degraded instance
 * take 2 s.
 */
export const READY_OUTAGE_TIMEOUT_MS = 500;

export interface ReadinessCheckDeps {
  opts: Pick<ResolvedOptions, 'nats' | 'storage' | 'tenancyStaleMaxMs'>;
  tenancy: Pick<TenancyStore, 'ping' | 'natsUnreachableSince'>;
  log: Logger;
}

/**
 * Probes NATS (a KV round trip) and ClickHouse (a ping, then its tables) for `/readyz` and the
 * readiness gauges. Callers arriving while a probe runs share it: one scrape reads several gauges,
 * and a load balancer's check at that moment gets the same answer.
 */
export function readinessCheck(d: ReadinessCheckDeps): () => Promise<Readiness> {
  // Logged once each time it changes, so a query API started before any aggregator says why it waits.
  let missingSchemaLogged = false;
  let running: Promise<Readiness> | undefined;

  async function probe(): Promise<Readiness> {
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
    return readiness({
      nats,
      natsClosed: d.opts.nats.isClosed(),
      storage,
      schema,
      natsUnreachableSince: d.tenancy.natsUnreachableSince(),
      staleMaxMs: d.opts.tenancyStaleMaxMs,
      now: Date.now(),
    });
  }

  return () => {
    running ??= probe().finally(() => (running = undefined));
    return running;
  };
}
