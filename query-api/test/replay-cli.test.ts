import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { createReplayManager, silentLogger, type ReplayManager } from '@pulse/aggregator';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { chdbDir, startNats, type TempDir, type TestNats } from '@pulse/testkit';
import { createQueryApi, type QueryApi } from '../src/index.js';
import { ADMIN_TOKEN, createTenant } from './harness.js';

// The aggregator's replay CLI against this query API: what it makes of the real answers (the
// aggregator's own tests can only stand in for them).
const CLI = fileURLToPath(new URL('../../aggregator/dist/replay-cli.js', import.meta.url));

let nats: TestNats;
let nc: NatsConnection;
let dir: TempDir;
let storage: Storage;
let manager: ReplayManager;
let api: QueryApi;
let url: string;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  dir = chdbDir();
  storage = createStorage({ path: dir.path });
  await migrate(storage);
  manager = createReplayManager({ nats: nc, storage, logger: silentLogger });
  api = createQueryApi({ nats: nc, storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: silentLogger, replays: manager });
  url = `http://127.0.0.1:${(await api.start()).port}`;
});

afterAll(async () => {
  await api?.stop(100);
  await manager?.close();
  await nc?.close();
  await storage?.close();
  await nats?.cleanup();
  dir?.remove();
});

function replay(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const now = Date.now();
  const child = spawn(process.execPath, [CLI, '--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString(), ...args], {
    env: { ...process.env, QUERY_URL: url, ADMIN_TOKEN, NATS_URL: '', CLICKHOUSE_URL: '', QUERY_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => child.on('exit', (code) => r({ code, out, err })));
}

describe('npm run replay through the query API', () => {
  it('exits 2 on a --site that names no site, saying so', async () => {
    expect(existsSync(CLI), 'build @pulse/aggregator first').toBe(true);
    const r = await replay(['--site', 's_ZZZZZZZZZZZZZZZZ']);
    expect(r.err).toContain(
      `replay: unknown_site: there is no site s_ZZZZZZZZZZZZZZZZ (POST ${url}/v1/admin/replays answered 404 (not_found: site not found)): check --site`,
    );
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });

  it('runs the replay of a site that exists and exits 0 with its final status', async () => {
    const t = await createTenant(url);
    const r = await replay(['--site', t.siteId]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ state: 'done', progress: 1, site_id: t.siteId });
  });
});
