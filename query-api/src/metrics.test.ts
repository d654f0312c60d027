import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ApiMetrics } from './metrics.js';
import type { ReadinessBody } from './readiness.js';

/** The readiness series of a scrape, `name{labels}` → value. */
async function readinessSeries(m: ApiMetrics): Promise<Record<string, number>> {
  const text = await m.registry.metrics();
  return Object.fromEntries([...text.matchAll(/^(pulse_query_(?:ready|readiness_cause)(?:\{[^}]*\})?) (\S+)$/gm)].map((x) => [x[1] ?? '', Number(x[2])]));
}

const READY: ReadinessBody = { status: 'ready', nats: true, storage: true, schema: true };

describe('readiness gauges', () => {
  it('follow the readiness each scrape probes, one cause at a time', async () => {
    let body: ReadinessBody | undefined;
    const m = new ApiMetrics({ registry: new Registry(), defaultMetrics: false, cacheSize: () => 0, readiness: async () => body });
    const causes = (on?: string) =>
      Object.fromEntries(['tenancy_stale', 'tenancy_unavailable', 'storage_unreachable', 'schema_missing'].map((c) => [`pulse_query_readiness_cause{cause="${c}"}`, c === on ? 1 : 0]));
    // Before the start nothing was probed: exported, not ready, no cause.
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 0, ...causes() });
    body = READY;
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 1, ...causes() });
    body = { ...READY, status: 'degraded', nats: false, tenancy: 'stale' };
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 0, ...causes('tenancy_stale') });
    body = { ...READY, status: 'not_ready', nats: false, tenancy: 'unavailable' };
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 0, ...causes('tenancy_unavailable') });
    body = { ...READY, status: 'not_ready', storage: false, schema: false };
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 0, ...causes('storage_unreachable') });
    body = { ...READY, status: 'not_ready', schema: false };
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 0, ...causes('schema_missing') });
    body = READY;
    expect(await readinessSeries(m)).toEqual({ pulse_query_ready: 1, ...causes() });
  });

});
