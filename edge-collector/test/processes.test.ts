import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type TestNats } from '@pulse/testkit';
import { createWriteKey, natsTools, pageviews, postBatch, sleep, startCollector, type NatsTools, type Runtime } from './helpers.js';

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
        const deadline = Date.now() + 15_000;
        while (c.logs.filter((l) => l.includes('"msg":"connected to NATS"')).length < 2 && Date.now() < deadline) await sleep(50);
        const listening = c.logs.filter((l) => l.includes('"msg":"listening"')).map((l) => JSON.parse(l) as { port: number; instance_id: string });
        expect(listening).toHaveLength(2);
        expect(listening[0]?.port).toBe(c.port);
        expect(listening[1]?.port).toBe(c.port);
        expect(listening[0]?.instance_id).not.toBe(listening[1]?.instance_id);
        const { key } = await createWriteKey(t.kv);
        for (let i = 0; i < 20; i++) expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status).toBe(202);
        expect(await c.stop('SIGTERM')).toBe(0);
        expect(c.logs.filter((l) => l.includes('"msg":"stopped"'))).toHaveLength(2);
        expect(c.logs.some((l) => l.includes('"level":"error"'))).toBe(false);
      } finally {
        await c.stop('SIGKILL');
      }
    });
  }
});
