import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, StorageError, type Storage } from '@pulse/aggregator/storage';
import { chdbDir, type TempDir } from '@pulse/testkit';
import { withStorageFaults } from './faulty-storage.js';

describe('withStorageFaults (real chDB underneath)', () => {
  let dir: TempDir;
  let inner: Storage;
  let storage: Storage;
  let fault: string;
  const count = async () => (await inner.query<{ n: number }>('SELECT count() AS n FROM t'))[0]?.n;

  beforeAll(async () => {
    dir = chdbDir();
    fault = join(dir.path, 'fault');
    inner = createStorage({ path: join(dir.path, 'db') });
    storage = withStorageFaults(inner, fault);
    await storage.command('CREATE TABLE IF NOT EXISTS t (x UInt32) ENGINE = MergeTree ORDER BY x');
  });
  afterAll(async () => {
    await storage?.close();
    dir?.remove();
  });

  it('passes everything through while the fault file is absent', async () => {
    await storage.insert('t', [{ x: 1 }]);
    expect(await count()).toBe(1);
    expect(await storage.ping()).toBe(true);
  });

  it('"down": fails before ClickHouse sees the statement, with a retryable StorageError', async () => {
    writeFileSync(fault, 'down');
    const err = await storage.insert('t', [{ x: 2 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('storage_unavailable');
    expect(await storage.ping()).toBe(false);
    await expect(storage.query('SELECT 1')).rejects.toBeInstanceOf(StorageError);
    expect(await count()).toBe(1);
  });

  it('"lost-reply": the statement runs, then the caller gets an error', async () => {
    writeFileSync(fault, 'lost-reply');
    await expect(storage.insert('t', [{ x: 3 }])).rejects.toBeInstanceOf(StorageError);
    expect(await count()).toBe(2);
  });

  it('recovers as soon as the file is gone', async () => {
    rmSync(fault);
    await storage.insert('t', [{ x: 4 }]);
    expect(await count()).toBe(3);
    expect(await storage.ping()).toBe(true);
  });
});
