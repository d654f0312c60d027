import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type TestNats } from '@pulse/testkit';
import {
  createWriteKey,
  freePortRange,
  metricValue,
  natsTools,
  pageviews,
  postBatch,
  sleep,
  startCollector,
  type NatsTools,
  type RunningCollector,
  type Runtime,
} from './helpers.js';

/** Waits until every process of the collector logged that it reached NATS. */
async function allConnected(c: RunningCollector, processes: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (c.logs.filter((l) => l.includes('"msg":"connected to NATS"')).length < processes && Date.now() < deadline) await sleep(50);
}

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > deadline) return v;
    await sleep(50);
  }
}

function occupy(port: number): Promise<Server> {
  const s = createServer();
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}

describe('several processes on one port (reusePort)', () => {
  let nats: TestNats;
  let t: NatsTools;

  beforeAll(async () => {
    nats = await startNats();
    t = await natsTools(nats.url);
  });

  afterAll(async () => {
    await t?.nc.close();
    await nats?.cleanup();
  });

  for (const runtime of ['node', 'bun'] as Runtime[]) {
    it(`runs COLLECTOR_PROCESSES=2 on ${runtime}, serves from both and stops both on SIGTERM`, async () => {
      const c = await startCollector(runtime, nats.url, { COLLECTOR_PROCESSES: '2' });
      try {
        await allConnected(c, 2);
        const listening = c.logs.filter((l) => l.includes('"msg":"listening"')).map((l) => JSON.parse(l) as { port: number; instance_id: string; metrics_port: number | null });
        expect(listening).toHaveLength(2);
        expect(listening[0]?.port).toBe(c.port);
        expect(listening[1]?.port).toBe(c.port);
        expect(listening[0]?.instance_id).not.toBe(listening[1]?.instance_id);
        expect(listening.map((l) => l.metrics_port)).toEqual([null, null]);
        const { key } = await createWriteKey(t.kv);
        for (let i = 0; i < 20; i++) expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status).toBe(202);
        expect(await c.stop('SIGTERM')).toBe(0);
        expect(c.logs.filter((l) => l.includes('"msg":"stopped"'))).toHaveLength(2);
        expect(c.logs.some((l) => l.includes('"level":"error"'))).toBe(false);
      } finally {
        await c.stop('SIGKILL');
      }
    });

    it(`serves each process's metrics on its own port with COLLECTOR_METRICS_PORT on ${runtime}`, async () => {
      const metricsPort = await freePortRange(2);
      const c = await startCollector(runtime, nats.url, { COLLECTOR_PROCESSES: '2', COLLECTOR_METRICS_PORT: String(metricsPort) });
      try {
        await allConnected(c, 2);
        const listening = c.logs.filter((l) => l.includes('"msg":"listening"')).map((l) => (JSON.parse(l) as { metrics_port: number }).metrics_port);
        expect(listening.sort((a, b) => a - b)).toEqual([metricsPort, metricsPort + 1]);
        const bases = [0, 1].map((n) => `http://127.0.0.1:${metricsPort + n}`);
        for (const base of bases) {
          expect((await until(() => fetch(`${base}/readyz`), (r) => r.status === 200)).status).toBe(200);
          expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
        }

        // Concurrent requests open several connections, which the kernel spreads over both processes.
        const { key } = await createWriteKey(t.kv);
        const batches = 40;
        const perBatch = 3;
        const answers = await Promise.all(Array.from({ length: batches }, () => postBatch(c.url, JSON.stringify({ events: pageviews(perBatch) }), { key })));
        expect(answers.map((a) => a.status)).toEqual(Array(batches).fill(202));

        const accepted = await Promise.all(bases.map((b) => metricValue(b, 'pulse_collector_events_total', 'outcome="accepted"')));
        expect(accepted[0]! + accepted[1]!).toBe(batches * perBatch);
        expect(accepted.every((n) => n > 0)).toBe(true);
        for (const [n, base] of bases.entries()) {
          expect(await metricValue(base, 'pulse_collector_process_info', `worker="${n}"`)).toBe(1);
          expect(await metricValue(base, 'pulse_collector_process_info', `worker="${1 - n}"`)).toBe(0);
        }
        // The shared port still answers, from whichever process takes the connection.
        const shared = await (await fetch(`${c.url}/metrics`)).text();
        expect(shared).toMatch(/^pulse_collector_process_info\{worker="[01]"\} 1$/m);

        expect(await c.stop('SIGTERM')).toBe(0);
        expect(c.logs.filter((l) => l.includes('"msg":"stopped"'))).toHaveLength(2);
        expect(c.logs.some((l) => l.includes('"level":"error"'))).toBe(false);
      } finally {
        await c.stop('SIGKILL');
      }
    });

    it(`refuses to start on ${runtime} with a bad COLLECTOR_METRICS_PORT, naming it`, async () => {
      await expect(startCollector(runtime, nats.url, { COLLECTOR_METRICS_PORT: 'nine' })).rejects.toThrow(
        /collector exited with 1:[\s\S]*"msg":"collector failed to start".*COLLECTOR_METRICS_PORT: must be a non-negative integer/,
      );
    });

    it(`refuses to start on ${runtime} when a process's metrics port is taken, naming the variable and port`, async () => {
      const metricsPort = await freePortRange(2);
      for (const n of [0, 1]) {
        const taken = await occupy(metricsPort + n);
        try {
          const setting = n ? 'COLLECTOR_METRICS_PORT \\+ 1 \\(worker 1\\)' : 'COLLECTOR_METRICS_PORT';
          await expect(startCollector(runtime, nats.url, { COLLECTOR_PROCESSES: '2', COLLECTOR_METRICS_PORT: String(metricsPort) })).rejects.toThrow(
            new RegExp(`collector exited with 1:[\\s\\S]*"msg":"collector failed to start".*${setting}: cannot listen on 127\\.0\\.0\\.1:${metricsPort + n}`),
          );
        } finally {
          await new Promise((r) => taken.close(r));
        }
      }
    });
  }
});
