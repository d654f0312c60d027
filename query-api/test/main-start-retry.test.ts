import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createStorage, migrate } from '@pulse/aggregator/storage';
import { launchDetached, servicePorts, spawnNatsServer, tempDir, type Launched, type NatsServerHandle, type TempDir } from '@pulse/testkit';
import { ADMIN_TOKEN, call } from './harness.js';

/**
 * The standalone query API (`dist/main.js`) started while nothing answers at NATS_URL: it keeps
 * retrying its start with backoff, saying so, and starts once a nats-server comes up there, in the
 * same process; SIGTERM during the retries exits 0; a wrong variable exits 2 at once.
 */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const RETRY_MSG = 'query api start failed; retrying';

let launched: Launched | undefined;
let server: NatsServerHandle | undefined;
const dirs: TempDir[] = [];

afterEach(async () => {
  if (launched && launched.child.exitCode === null && launched.child.signalCode === null) process.kill(-launched.pid, 'SIGKILL');
  await launched?.exited;
  launched = undefined;
  await server?.stop();
  server = undefined;
  for (const d of dirs.splice(0)) d.remove();
});

async function queryApi(natsPort: number, extra: Record<string, string> = {}, withSchema = true) {
  expect(existsSync(MAIN), 'run `npx tsup` first').toBe(true);
  const dir = tempDir('pulse-query-main-');
  dirs.push(dir);
  // The aggregator's tables, so that /readyz can say ready (this process closes chDB before the child opens it).
  if (withSchema) {
    const storage = createStorage({ path: join(dir.path, 'clickhouse') });
    await migrate(storage);
    await storage.close();
  }
  const [port] = (await servicePorts(1)) as [number];
  const env = { NATS_URL: `nats://127.0.0.1:${natsPort}`, DATA_DIR: dir.path, ADMIN_TOKEN, QUERY_PORT: String(port), QUERY_HOST: '127.0.0.1', ...extra };
  launched = launchDetached({ main: MAIN, env, cwd: PACKAGE_DIR, unset: ['CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'CLICKHOUSE_SHARDED', 'NATS_KV_REPLICAS', 'STATIC_DIR'] });
  return { l: launched, url: `http://127.0.0.1:${port}` };
}


async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the standalone query API while NATS is not there at its start', () => {
  it('retries with backoff, then starts in the same process once a nats-server listens at NATS_URL', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const q = await queryApi(natsPort);
    const [first, second] = await q.l.waitForLog(RETRY_MSG, 2);
    expect(first).toMatchObject({ level: 'warn', attempt: 1, retry_in_ms: 500, err: { code: 'CONNECTION_REFUSED' } });
    expect(second).toMatchObject({ level: 'warn', attempt: 2, retry_in_ms: 1_000 });

    const natsDir = tempDir('pulse-query-main-nats-');
    dirs.push(natsDir);
    server = await spawnNatsServer({ storeDir: join(natsDir.path, 'store'), workDir: natsDir.path, port: natsPort });
    const ready = await until('ready', 60_000, async () => {
      const r = await call(q.url, 'GET', '/readyz');
      return r.status === 200 ? r.body : undefined;
    });
    expect(ready).toEqual({ status: 'ready', nats: true, storage: true, schema: true });
    expect(q.l.child.exitCode).toBeNull();
    expect(q.l.logs().filter((e) => e.msg === 'query api listening')).toHaveLength(1);
    // The tenancy buckets are there: an admin call writes to them.
    expect((await call(q.url, 'POST', '/v1/admin/merchants', { token: ADMIN_TOKEN, body: { name: 'After the wait' } })).status).toBe(201);

    process.kill(q.l.pid, 'SIGTERM');
    expect((await q.l.exited).code).toBe(0);
    expect(q.l.logs().filter((e) => e.level === 'error')).toEqual([]);
  });

  it('exits 0 on SIGTERM during the retries, without an error line', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const q = await queryApi(natsPort, {}, false);
    await q.l.waitForLog(RETRY_MSG, 2);
    process.kill(q.l.pid, 'SIGTERM');
    expect((await q.l.exited).code).toBe(0);
    expect(q.l.logs().some((e) => e.msg === 'shutting down')).toBe(true);
    expect(q.l.logs().filter((e) => e.level === 'error')).toEqual([]);
  });

  it('exits 2 at once on a wrong variable, naming it', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const q = await queryApi(natsPort, { QUERY_PORT: 'eighty' }, false);
    expect((await q.l.exited).code).toBe(2);
    const errors = q.l.logs().filter((e) => e.level === 'error');
    expect(errors.map((e) => e.msg)).toEqual(['query api configuration error']);
    expect(JSON.stringify(errors[0])).toMatch(/QUERY_PORT: must be an integer/);
    expect(q.l.logs().filter((e) => e.msg === RETRY_MSG)).toEqual([]);
  });
});
