import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAggregator, createStatusServer, silentLogger } from '../src/index.js';
import { count, fixture, publish, record, waitFor, type Fixture } from './helpers/fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.cleanup();
});

describe('status server', () => {
  it('serves healthz, readyz and metrics, and JSON errors elsewhere', async () => {
    const aggregator = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger });
    const server = createStatusServer({ aggregator, port: 0, host: '127.0.0.1' });
    const { port } = await server.start();
    const url = (p: string) => `http://127.0.0.1:${port}${p}`;
    try {
      expect((await fetch(url('/healthz'))).status).toBe(200);
      const notReady = await fetch(url('/readyz'));
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { error: { code: string } }).error.code).toBe('not_ready');

      await aggregator.start();
      const ready = await fetch(url('/readyz'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', state: 'running' });

      await publish(f.js, [record({}, 3)]);
      await waitFor('rows', async () => (await count(f.storage)) === 3);
      // The ack follows the rows once the batch is archived too.
      await waitFor('ack', async () => /^pulse_aggregator_messages_total\{outcome="stored"\} 1$/m.test(await (await fetch(url('/metrics'))).text()));
      const metrics = await fetch(url('/metrics'));
      expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await metrics.text();
      expect(text).toMatch(/^pulse_aggregator_rows_inserted_total 3$/m);
      expect(text).toMatch(/^pulse_aggregator_messages_total\{outcome="stored"\} 1$/m);
      expect(text).toContain('pulse_aggregator_consumer_pending_messages');

      const missing = await fetch(url('/nope'));
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'no such endpoint' } });
      expect((await fetch(url('/healthz'), { method: 'POST' })).status).toBe(405);

      await aggregator.stop();
      expect((await fetch(url('/readyz'))).status).toBe(503);
    } finally {
      await aggregator.stop();
      await server.stop();
    }
  });
});
