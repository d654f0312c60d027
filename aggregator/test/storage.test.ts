import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chdbDir, freePort } from '@pulse/testkit';
import { ConfigError, StorageError, createStorage } from '../src/storage/index.js';
import { SPOOL_DIR } from '../src/storage/chdb.js';
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

describe('chDB insert spool', () => {
  it("removes a dead process's spool under the data path, keeps a live one's, and removes its own on close", async () => {
    const dir = chdbDir();
    const root = join(dir.path, SPOOL_DIR);
    // Above Linux's largest pid: never alive.
    const dead = join(root, '4194305-left');
    const alive = join(root, `${process.ppid}-busy`);
    for (const d of [dead, alive]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'batch.native'), 'x');
    }
    const storage = createStorage({ path: dir.path });
    try {
      await storage.command('CREATE TABLE t (a UInt32, b String) ENGINE = MergeTree ORDER BY a');
      await storage.insert('t', [{ a: 1, b: 'x' }, { a: 2, b: 'y' }]);
      expect(await storage.query('SELECT a, b FROM t ORDER BY a')).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }]);
      const left = readdirSync(root);
      expect(left).not.toContain('4194305-left');
      expect(left).toContain(`${process.ppid}-busy`);
      expect(left.filter((n) => n.startsWith(`${process.pid}-`))).toHaveLength(1);
      // The body is deleted once inserted.
      const own = left.find((n) => n.startsWith(`${process.pid}-`))!;
      expect(readdirSync(join(root, own))).toEqual([]);
    } finally {
      await storage.close();
    }
    expect(readdirSync(root)).toEqual([`${process.ppid}-busy`]);
    dir.remove();
  });
});

describe('chDB connections', () => {
  it('runs statements with parameters on several connections at once', async () => {
    const dir = chdbDir();
    const storage = createStorage({ path: dir.path, connections: 4 });
    try {
      // sleep() holds a connection without using a core: four at once take one sleep's time,
      // where one connection, or chdb-node's single queue for parameterized statements, takes four.
      await storage.query('SELECT 1');
      const t0 = performance.now();
      const rows = await Promise.all(
        [0, 1, 2, 3].map((i) => storage.query<{ i: number; s: string }>('SELECT {i:UInt32} AS i, {s:String} AS s, sleep(0.6) AS z', { i, s: `v${i}` })),
      );
      const ms = performance.now() - t0;
      expect(rows.map((r) => r[0])).toEqual([0, 1, 2, 3].map((i) => ({ i, s: `v${i}`, z: 0 })));
      expect(ms).toBeLessThan(1800);
    } finally {
      await storage.close();
      dir.remove();
    }
  });

  it('answers in the agreed JSON types on every connection', async () => {
    const dir = chdbDir();
    const storage = createStorage({ path: dir.path, connections: 3 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () =>
          storage.query<{ n: unknown; t: unknown }>("SELECT toUInt64(9007199254740991) AS n, toDateTime64('2026-01-02 03:04:05.678', 3, 'UTC') AS t, sleep(0.05) AS z"),
        ),
      );
      for (const a of answers) expect(a).toEqual([{ n: 9007199254740991, t: '2026-01-02T03:04:05.678Z', z: 0 }]);
    } finally {
      await storage.close();
      dir.remove();
    }
  });

  it('refuses a connection count outside 1 to 64, naming the field', () => {
    for (const connections of [0, 65, 1.5, Number.NaN]) {
      const err = (() => {
        try {
          createStorage({ path: '/nonexistent-pulse-path', connections });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain('connections');
    }
  });
});
