import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setup } from './core/route-test-kit.js';
import { ListenError } from './errors.js';
import { assertPortFree, startMetricsListener, type MetricsListener } from './metrics-listener.js';

describe('metrics listener', () => {
  const { core } = setup();
  let listener: MetricsListener;
  let base: string;

  beforeAll(async () => {
    listener = await startMetricsListener(core, { host: '127.0.0.1', port: 0, setting: 'COLLECTOR_METRICS_PORT' });
    base = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(() => listener?.close());

  it("answers /metrics, /healthz and /readyz as the core does, and nothing else", async () => {
    const metrics = await fetch(`${base}/metrics?x=1`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('pulse_collector_events_total');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    const batch = await fetch(`${base}/v1/batch`, { method: 'POST', body: '{"events":[]}' });
    expect(batch.status).toBe(404);
    expect(((await batch.json()) as { error: { code: string } }).error.code).toBe('not_found');
    // Its scrapes count like the main port's.
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/pulse_collector_requests_total\{route="metrics",status="200"\} [1-9]/);
  });

  it('fails naming the setting and the port when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const o = { host: '127.0.0.1', port, setting: 'COLLECTOR_METRICS_PORT + 1 (worker 1)' };
      for (const attempt of [startMetricsListener(core, o), assertPortFree(o)]) {
        const e = await attempt.then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(ListenError);
        expect((e as ListenError).code).toBe('listen_failed');
        expect((e as ListenError).message).toContain(`COLLECTOR_METRICS_PORT + 1 (worker 1): cannot listen on 127.0.0.1:${port}`);
      }
    } finally {
      taken.close();
    }
    await expect(assertPortFree({ host: '127.0.0.1', port, setting: 'COLLECTOR_METRICS_PORT' })).resolves.toBeUndefined();
  });
});
