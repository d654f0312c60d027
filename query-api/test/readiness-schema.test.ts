import { connect } from 'nats';
import { createStorage, migrate } from '@pulse/aggregator/storage';
import { chdbDir, startNats } from '@pulse/testkit';
import { expect, it } from 'vitest';
import { createQueryApi, jsonLogger } from '../src/index.js';
import { ADMIN_TOKEN, call } from './harness.js';

it('is not ready on storage no aggregator has migrated yet, says why, and is ready once it has', async () => {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const dir = chdbDir();
  const storage = createStorage({ path: dir.path });
  const lines: string[] = [];
  const api = createQueryApi({ nats: nc, storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: jsonLogger((l) => lines.push(l)) });
  try {
    const { port } = await api.start();
    const url = `http://127.0.0.1:${port}`;
    const before = await call(url, 'GET', '/readyz');
    expect(before.status).toBe(503);
    expect(before.body).toEqual({ status: 'not_ready', nats: true, storage: true, schema: false });
    await call(url, 'GET', '/readyz');
    expect(lines.filter((l) => l.includes('waiting for an aggregator to apply its migrations'))).toHaveLength(1);

    await migrate(storage);
    const after = await call(url, 'GET', '/readyz');
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ status: 'ready', nats: true, storage: true, schema: true });
  } finally {
    await api.stop(100);
    await nc.close();
    await storage.close();
    await nats.cleanup();
    dir.remove();
  }
});
