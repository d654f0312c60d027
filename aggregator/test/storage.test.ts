import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chdbDir, freePort } from '@pulse/testkit';
import { ConfigError, StorageError, createStorage } from '../src/storage/index.js';
import { storageConformance } from './storage-conformance.js';

storageConformance('chDB', async () => {
  const dir = chdbDir();
  const storage = createStorage({ path: dir.path });
  return {
    storage,
    async cleanup() {
      await storage.close();
      dir.remove();
    },
  };
});

// The one allowed conditional: a real ClickHouse server exists only where CLICKHOUSE_URL says so.
const serverUrl = process.env.CLICKHOUSE_URL;
if (serverUrl) {
  storageConformance('ClickHouse server', async () => {
    const database = `pulse_conformance_${randomBytes(4).toString('hex')}`;
    const admin = createStorage({ url: serverUrl });
    await admin.command(`CREATE DATABASE ${database}`);
    const storage = createStorage({ url: serverUrl, database });
    return {
      storage,
      async cleanup() {
        await storage.close();
        await admin.command(`DROP DATABASE IF EXISTS ${database}`);
        await admin.close();
      },
    };
  });
}

describe('createStorage', () => {
  it('rejects options that name no backend', () => {
    expect(() => createStorage({} as never)).toThrow(ConfigError);
    expect(() => createStorage({ url: 'not a url' })).toThrow(/url/);
    expect(() => createStorage({ url: 'ftp://x' })).toThrow(ConfigError);
  });

  it('reports an unreachable server as retryable and ping false', async () => {
    const port = await freePort();
    const s = createStorage({ url: `http://127.0.0.1:${port}` });
    expect(s.backend).toBe('server');
    expect(await s.ping()).toBe(false);
    const err = await s.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).retryable).toBe(true);
    expect((err as StorageError).code).toBe('storage_unavailable');
    await s.close();
  });
});
