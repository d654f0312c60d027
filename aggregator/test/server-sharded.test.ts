import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { createServerStorage } from '../src/storage/server.js';
import { checkShardedSettings } from '../src/storage/settings.js';

/**
 * What a ClickHouse server is sent: a loopback HTTP server stands in for it and records the
 * settings of each statement (the client sends them as URL parameters).
 */
let server: Server;
let url: string;
const seen: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    seen.push(params);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-clickhouse-format': 'JSONEachRow' });
      // What ClickHouse answers to getSetting: the setting as this request set it.
      res.end(`{"x":1,"sync":"${params.get('insert_distributed_sync') === '1' ? 'true' : 'false'}"}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('a ClickHouse server with a sharded schema', () => {
  it('waits for every shard on inserts and runs subqueries shard-locally', async () => {
    const storage = createServerStorage({ url, sharded: true });
    await storage.query('SELECT 1 AS x');
    await storage.insert('events', [{ site_id: 's' }], { dedupToken: 't' });
    await storage.close();
    const sent = seen.splice(0);
    expect(sent).toHaveLength(2);
    for (const p of sent) {
      expect(p.get('insert_distributed_sync')).toBe('1');
      expect(p.get('distributed_product_mode')).toBe('local');
    }
  });

  it('sends neither on one node or a replicated cluster', async () => {
    const storage = createServerStorage({ url });
    await storage.query('SELECT 1 AS x');
    await storage.close();
    const [p] = seen.splice(0);
    expect(p?.has('insert_distributed_sync')).toBe(false);
    expect(p?.has('distributed_product_mode')).toBe(false);
  });

  it('lets an aggregator check that its storage waits for every shard', async () => {
    const sharded = createServerStorage({ url, sharded: true });
    await expect(checkShardedSettings(sharded)).resolves.toBeUndefined();
    const plain = createServerStorage({ url });
    await expect(checkShardedSettings(plain)).rejects.toMatchObject({ code: 'invalid_config', field: 'sharded' });
    await sharded.close();
    await plain.close();
    seen.splice(0);
  });

  it('refuses a non-boolean flag, naming it', () => {
    expect(() => createServerStorage({ url, sharded: 'yes' as unknown as boolean })).toThrow(ConfigError);
  });
});
