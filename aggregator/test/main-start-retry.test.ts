import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDetached, servicePorts, spawnNatsServer, tempDir, type Launched, type NatsServerHandle, type TempDir } from '@pulse/testkit';
import { publish, record, waitFor } from './helpers/fixture.js';

/**
 * The standalone aggregator (`dist/main.js`) started while nothing answers at NATS_URL: it keeps
 * retrying its start with backoff, saying so, and starts once a nats-server comes up there, in the
 * same process; SIGTERM during the retries drains and exits 0; a wrong variable exits 2 at once.
 */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const RETRY_MSG = 'aggregator start failed; retrying';

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

async function aggregator(natsPort: number, extra: Record<string, string> = {}) {
  expect(existsSync(MAIN), 'run `npx tsup` first').toBe(true);
  const dir = tempDir('pulse-agg-main-');
  dirs.push(dir);
  const [statusPort] = (await servicePorts(1)) as [number];
  const env = { NATS_URL: `nats://127.0.0.1:${natsPort}`, DATA_DIR: dir.path, AGGREGATOR_PORT: String(statusPort), AGGREGATOR_HOST: '127.0.0.1', ...extra };
  launched = launchDetached({ main: MAIN, env, cwd: PACKAGE_DIR, unset: ['CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'CLICKHOUSE_SHARDED', 'STREAM_REPLICAS', 'EVENTS_TTL_DAYS'] });
  const l = launched;
  const get = (path: string) => fetch(`http://127.0.0.1:${statusPort}${path}`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
  return { l, dir, get };
}


describe('the standalone aggregator while NATS is not there at its start', () => {
  it('retries with backoff, then starts in the same process once a nats-server listens at NATS_URL', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const a = await aggregator(natsPort);
    const [first, second] = await a.l.waitForLog(RETRY_MSG, 2);
    expect(first).toMatchObject({ level: 'warn', attempt: 1, retry_in_ms: 500, err: { code: 'CONNECTION_REFUSED' } });
    expect(second).toMatchObject({ level: 'warn', attempt: 2, retry_in_ms: 1_000 });

    const natsDir = tempDir('pulse-agg-main-nats-');
    dirs.push(natsDir);
    server = await spawnNatsServer({ storeDir: join(natsDir.path, 'store'), workDir: natsDir.path, port: natsPort });
    await waitFor('ready', async () => (await a.get('/readyz'))?.status === 200, 60_000);
    expect(a.l.child.exitCode).toBeNull();
    expect(a.l.logs().filter((e) => e.msg === 'aggregator listening')).toHaveLength(1);

    // Consuming: an event published now is stored.
    const nc = await connect({ servers: server.url });
    try {
      await publish(nc.jetstream(), [record({}, 3)]);
      await waitFor('stored', async () => /^pulse_aggregator_rows_inserted_total 3$/m.test((await (await a.get('/metrics'))?.text()) ?? ''), 30_000);
    } finally {
      await nc.close();
    }

    process.kill(a.l.pid, 'SIGTERM');
    expect((await a.l.exited).code).toBe(0);
    expect(a.l.logs().filter((e) => e.level === 'error')).toEqual([]);
  });

  it('exits 0 on SIGTERM during the retries, without an error line', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const a = await aggregator(natsPort);
    await a.l.waitForLog(RETRY_MSG, 2);
    process.kill(a.l.pid, 'SIGTERM');
    expect((await a.l.exited).code).toBe(0);
    expect(a.l.logs().some((e) => e.msg === 'draining')).toBe(true);
    expect(a.l.logs().filter((e) => e.level === 'error')).toEqual([]);
  });

  it('exits 2 at once on a wrong variable, naming it', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const a = await aggregator(natsPort, { STREAM_REPLICAS: 'three' });
    expect((await a.l.exited).code).toBe(2);
    const errors = a.l.logs().filter((e) => e.level === 'error');
    expect(errors.map((e) => e.msg)).toEqual(['aggregator configuration error']);
    expect(JSON.stringify(errors[0])).toMatch(/STREAM_REPLICAS: must be an integer/);
    expect(a.l.logs().filter((e) => e.msg === RETRY_MSG)).toEqual([]);
  });
});
