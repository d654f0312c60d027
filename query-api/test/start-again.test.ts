import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '@pulse/testkit';
import { createQueryApi, silentLogger } from '../src/index.js';
import { ADMIN_TOKEN, call, startHarness, type Harness } from './harness.js';

/**
 * A start that failed (NATS timing out during an election, the port still held by the process
 * before) leaves nothing behind, so its caller may simply start again (the cluster's core process
 * retries its start until it works).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

it('starts again after a start that failed, and serves every route once', async () => {
  const port = await freePort();
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(port, '127.0.0.1', ok));
  const api = createQueryApi({ nats: h.nc, storage: h.storage, adminToken: ADMIN_TOKEN, port, host: '127.0.0.1', logger: silentLogger });
  try {
    await expect(api.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((ok) => holder.close(() => ok()));
    expect(await api.start()).toEqual({ port });
    const url = `http://127.0.0.1:${port}`;
    const ready = await call(url, 'GET', '/readyz');
    expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ready', nats: true, storage: true, schema: true } });
    const m = await call(url, 'POST', '/v1/admin/merchants', { token: ADMIN_TOKEN, body: { name: 'After a failed start' } });
    expect(m.status).toBe(201);
    await expect(api.start()).rejects.toThrow('already started');
  } finally {
    holder.close();
    await api.stop(100);
  }
});
