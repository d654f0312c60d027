import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDetached, probePort, servicePorts, spawnNatsServer, tempDir, watchPort, type Launched, type NatsServerHandle, type PortProbe, type TempDir } from '@pulse/testkit';
import { publish, record, waitFor } from './helpers/fixture.js';

/**
 * The standalone aggregator (`dist/main.js`) started while nothing answers at NATS_URL: it keeps
 * retrying its start with backoff, saying so, and starts once a nats-server comes up there, in the
 * same process; SIGTERM during the retries drains and exits 0; a wrong variable exits 2 at once. Its
 * status port answers throughout: a placeholder until NATS accepts the connection (/healthz 200,
 * /readyz 503), then the status server on the same listening socket, never refusing a connection.
 */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const RETRY_MSG = 'aggregator start failed; retrying';
const STARTING_MSG = 'aggregator starting';

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
  return { l, dir, get, base: `http://127.0.0.1:${statusPort}` };
}

/** The placeholder's /readyz (it counts failed attempts); the status server's carries the aggregator's status. */
const placeholderReadyz = (p: PortProbe): boolean => p.path === '/readyz' && p.body?.failed_attempts !== undefined;


describe('the standalone aggregator while NATS is not there at its start', () => {
  it('retries with backoff, then starts in the same process once a nats-server listens at NATS_URL', async () => {
    const [natsPort] = (await servicePorts(1)) as [number];
    const a = await aggregator(natsPort);
    await a.l.waitForLog(STARTING_MSG);
    const watch = watchPort(a.base, ['/healthz', '/readyz']);
    const [first, second] = await a.l.waitForLog(RETRY_MSG, 2);
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
    const attempts = new Set(waiting.filter(placeholderReadyz).map((p) => p.body.failed_attempts as number));
    expect(attempts).toContain(1);
    expect(attempts).toContain(2);
    expect(waiting.find((p) => p.body?.failed_attempts === 2)?.body.error.message).toMatch(
      /^starting: connecting to NATS failed \(attempt 2\): CONNECTION_REFUSED/,
    );
    const metrics = await probePort(a.base, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^pulse_aggregator_starting 1$/m);
    expect(Number(/^pulse_aggregator_start_attempts_failed_total (\d+)$/m.exec(String(metrics.body))?.[1])).toBeGreaterThanOrEqual(2);
    const other = await a.get('/v1/anything');
    expect(other?.status).toBe(503);
    expect(other?.headers.get('retry-after')).toBe('1');
    expect(await other?.json()).toMatchObject({ error: { code: 'starting' } });

    const natsDir = tempDir('pulse-agg-main-nats-');
    dirs.push(natsDir);
    server = await spawnNatsServer({ storeDir: join(natsDir.path, 'store'), workDir: natsDir.path, port: natsPort });
    await waitFor('ready', async () => watch.seen.some((p) => p.path === '/readyz' && p.status === 200), 60_000);
    // The status server took the placeholder's listening socket over: every probe was answered, none refused.
    const seen = await watch.stop();
    expect(seen.filter((p) => p.error !== undefined)).toEqual([]);
    expect(seen.filter((p) => p.path === '/healthz' && p.status !== 200)).toEqual([]);
    const last = seen.findLastIndex(placeholderReadyz);
    const afterwards = seen.slice(last + 1).filter((p) => p.path === '/readyz');
    expect(afterwards.length).toBeGreaterThan(0);
    expect(afterwards.every((p) => p.body?.status !== undefined)).toBe(true);
    expect(afterwards.find((p) => p.status === 200)).toMatchObject({ body: { status: 'ready' } });
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
    expect(await probePort(a.base, '/healthz')).toMatchObject({ status: 200, body: { state: 'starting' } });
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
