import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createStorage, migrate } from '@pulse/aggregator/storage';
import { launchDetached, probePort, servicePorts, spawnNatsServer, tempDir, watchPort, type Launched, type NatsServerHandle, type TempDir } from '@pulse/testkit';
import { ADMIN_TOKEN, call } from './harness.js';

/**
 * The standalone query API (`dist/main.js`) started while nothing answers at NATS_URL: it keeps
 * retrying its start with backoff, saying so, and starts once a nats-server comes up there, in the
 * same process; SIGTERM during the retries exits 0; a wrong variable exits 2 at once. Its port answers
 * throughout: a placeholder while it retries (/healthz 200, /readyz 503), then the API on the same
 * listening socket, never refusing a connection in between.
 */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const RETRY_MSG = 'query api start failed; retrying';
const STARTING_MSG = 'query api starting';

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
  launched = launchDetached({ main: MAIN, env, cwd: PACKAGE_DIR, unset: ['CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'CLICKHOUSE_SHARDED', 'NATS_KV_REPLICAS', 'STATIC_DIR', 'QUERY_TENANCY_STALE_MAX_MS'] });
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
    const q = await queryApi(natsPort, { QUERY_TENANCY_STALE_MAX_MS: '180000' });
    await q.l.waitForLog(STARTING_MSG);
    const watch = watchPort(q.url, ['/healthz', '/readyz']);
    const [first, second] = await q.l.waitForLog(RETRY_MSG, 2);
    expect(first).toMatchObject({ level: 'warn', attempt: 1, retry_in_ms: 500, err: { code: 'CONNECTION_REFUSED' } });
    expect(second).toMatchObject({ level: 'warn', attempt: 2, retry_in_ms: 1_000 });
    await new Promise((r) => setTimeout(r, 200));

    // While it waits: alive, not ready, saying why; counted in /metrics; anything else 503 with Retry-After.
    const waiting = [...watch.seen];
    expect(waiting.filter((p) => p.path === '/healthz').length).toBeGreaterThan(2);
    for (const p of waiting) {
      if (p.path === '/healthz') expect(p).toMatchObject({ status: 200, body: { status: 'ok', state: 'starting' } });
      else {
        expect(p).toMatchObject({ status: 503, body: { error: { code: 'not_ready' }, state: 'starting' } });
        expect(p.body.error.message).toMatch(/^starting: connecting to NATS/);
      }
    }
    // Answered right after each failed attempt too (the first fails within milliseconds, before the watch).
    const attempts = new Set(waiting.filter((p) => p.path === '/readyz').map((p) => p.body.failed_attempts as number));
    expect(attempts).toContain(1);
    expect(attempts).toContain(2);
    expect(waiting.find((p) => p.body?.failed_attempts === 2)?.body.error.message).toMatch(
      /^starting: connecting to NATS failed \(attempt 2\): CONNECTION_REFUSED/,
    );
    const metrics = await probePort(q.url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^pulse_query_starting 1$/m);
    expect(Number(/^pulse_query_start_attempts_failed_total (\d+)$/m.exec(String(metrics.body))?.[1])).toBeGreaterThanOrEqual(2);
    const other = await call(q.url, 'GET', '/v1/sites', { token: ADMIN_TOKEN });
    expect(other.status).toBe(503);
    expect(other.body).toMatchObject({ error: { code: 'starting' } });
    expect(other.headers.get('retry-after')).toBe('1');

    const natsDir = tempDir('pulse-query-main-nats-');
    dirs.push(natsDir);
    server = await spawnNatsServer({ storeDir: join(natsDir.path, 'store'), workDir: natsDir.path, port: natsPort });
    const ready = await until('ready', 60_000, async () => {
      const r = await call(q.url, 'GET', '/readyz');
      return r.status === 200 ? r.body : undefined;
    });
    expect(ready).toEqual({ status: 'ready', nats: true, storage: true, schema: true });
    // The API took the placeholder's listening socket over: every probe was answered, none refused.
    const seen = await watch.stop();
    expect(seen.filter((p) => p.error !== undefined)).toEqual([]);
    expect(seen.filter((p) => p.path === '/healthz' && p.status !== 200)).toEqual([]);
    const last = seen.findLastIndex((p) => p.path === '/healthz' && p.body?.state === 'starting');
    const afterwards = seen.slice(last + 1).filter((p) => p.path === '/healthz');
    expect(afterwards.length).toBeGreaterThan(0);
    expect(afterwards.every((p) => p.status === 200 && p.body?.state === undefined)).toBe(true);
    expect(q.l.child.exitCode).toBeNull();
    expect(q.l.logs().filter((e) => e.msg === 'query api listening')).toHaveLength(1);
    // QUERY_TENANCY_STALE_MAX_MS reached the API (its /readyz documentation states the window).
    expect(JSON.stringify((await call(q.url, 'GET', '/openapi.json')).body)).toContain('out of reach for less than 3 minutes');
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
    expect(await probePort(q.url, '/healthz')).toMatchObject({ status: 200, body: { state: 'starting' } });
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
