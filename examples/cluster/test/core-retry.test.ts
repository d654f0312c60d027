import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killLeftovers, launchDetached, probePort, servicePorts, startNatsCluster, tempDir, watchPort, type Launched, type TempDir, type TestNatsCluster } from '@pulse/testkit';
import { PACKAGE_DIR } from './launcher.js';
import { until } from './cluster-checks.js';

/**
 * The core process (`dist/core-main.js`) started while NATS cannot answer: a JetStream cluster
 * without a quorum (two of three nodes down: the election after the meta leader's death, drawn
 * out), or no NATS at all. It keeps retrying its start with backoff, saying so, and starts once
 * NATS answers; only SIGTERM (drained, exit 0) or a configuration error (exit 2) end it. Its ports
 * answer throughout: placeholders while it retries (/healthz 200, /readyz 503), then each service
 * on the same listening socket, never refusing a connection in between.
 */
const CORE = fileURLToPath(new URL('../dist/core-main.js', import.meta.url));
const ADMIN_TOKEN = 'core-retry-admin-token-0123456789';
const RETRY_MSG = 'core start failed; retrying';

const dirs: TempDir[] = [];
const launched: Launched[] = [];
let nats: TestNatsCluster | undefined;

afterEach(() => {
  for (const l of launched.splice(0)) {
    try {
      process.kill(-l.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(async () => {
  await nats?.cleanup();
  for (const d of dirs) {
    killLeftovers([], d.path);
    d.remove();
  }
});

async function core(natsUrls: string[], extra: Record<string, string> = {}) {
  const dir = tempDir('pulse-core-retry-');
  dirs.push(dir);
  const [query, agg1, agg2] = (await servicePorts(3)) as [number, number, number];
  const env = {
    NATS_URL: natsUrls.join(','),
    DATA_DIR: join(dir.path, 'core'),
    ADMIN_TOKEN,
    QUERY_PORT: String(query),
    QUERY_HOST: '127.0.0.1',
    AGGREGATOR_PORTS: `${agg1},${agg2}`,
    AGGREGATOR_HOST: '127.0.0.1',
    ...extra,
  };
  const l = launchDetached({ main: CORE, env, cwd: PACKAGE_DIR, timeoutMs: 90_000 });
  launched.push(l);
  const status = (port: number) =>
    fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }),
      () => undefined,
    );
  return { l, ports: { query, aggregators: [agg1, agg2] }, status };
}

const retries = (l: Launched) => l.logs().filter((e) => e.msg === RETRY_MSG);

/** Waits for `n` retry lines; fails at once, with its output, should the process exit meanwhile. */
async function retried(l: Launched, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (retries(l).length < n) {
    if (l.child.exitCode !== null || l.child.signalCode !== null) {
      throw new Error(`core exited (${l.child.exitCode ?? l.child.signalCode}) after ${retries(l).length} retries:\n${l.stdout.join('\n')}\n${l.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`${retries(l).length} of ${n} retries within ${timeoutMs} ms:\n${l.stdout.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the core process while NATS cannot answer', () => {
  it('keeps retrying its start during a JetStream election without quorum, and starts once there is one', async () => {
    nats = await startNatsCluster(3);
    // Two of three down: the one left has no meta leader, so every JetStream request times out.
    await Promise.all([nats.nodes[1]!.stop(), nats.nodes[2]!.stop()]);
    const c = await core(nats.servers, { STREAM_REPLICAS: '3', NATS_KV_REPLICAS: '3' });
    await c.l.waitForLog('core starting');
    const bases = [c.ports.query, ...c.ports.aggregators].map((port) => `http://127.0.0.1:${port}`);
    const watches = bases.map((base) => watchPort(base, ['/healthz', '/readyz'], 50));

    await retried(c.l, 2, 90_000);
    // While it waits, every port is alive and not ready, saying why.
    for (const w of watches) {
      const waiting = [...w.seen];
      expect(waiting.filter((p) => p.path === '/healthz').length).toBeGreaterThan(0);
      for (const p of waiting) {
        if (p.path === '/healthz') expect(p).toMatchObject({ status: 200, body: { state: 'starting' } });
        else expect(p).toMatchObject({ status: 503, body: { error: { code: 'not_ready' }, state: 'starting' } });
      }
      expect(waiting.some((p) => p.path === '/readyz' && /^starting: .* failed \(attempt [12]\)/.test(p.body.error.message))).toBe(true);
    }
    expect(c.l.child.exitCode).toBeNull();
    const [first, second] = retries(c.l);
    expect(first).toMatchObject({ level: 'warn', attempt: 1, retry_in_ms: expect.any(Number) });
    expect(second).toMatchObject({ level: 'warn', attempt: 2 });
    expect(Number(second!.retry_in_ms)).toBeGreaterThan(Number(first!.retry_in_ms));

    await Promise.all([nats.nodes[1]!.restart(), nats.nodes[2]!.restart()]);
    for (const port of [c.ports.query, ...c.ports.aggregators]) {
      await until(`:${port} ready`, 120_000, async () => ((await c.status(port))?.status === 200 ? true : undefined));
    }
    expect(c.l.logs().some((e) => e.msg === 'core ready')).toBe(true);
    expect(c.l.logs().filter((e) => e.level === 'error')).toEqual([]);
    // Each service took its placeholder's listening socket over: every probe answered, none refused.
    for (const w of watches) {
      const seen = await w.stop();
      expect(seen.filter((p) => p.error !== undefined)).toEqual([]);
      expect(seen.filter((p) => p.path === '/healthz' && p.status !== 200)).toEqual([]);
    }
    // The services answer now, not the placeholders (a watch's last probe may predate the hand-over).
    for (const base of bases) expect(await probePort(base, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    for (const base of bases) expect((await probePort(base, '/healthz')).body.state).not.toBe('starting');

    process.kill(c.l.pid, 'SIGTERM');
    expect((await c.l.exited).code).toBe(0);
  });

  it('keeps retrying while no NATS server is there at all; SIGTERM ends it with 0', async () => {
    const [port] = await servicePorts(1);
    const c = await core([`nats://127.0.0.1:${String(port)}`]);
    await retried(c.l, 2, 60_000);
    expect(c.l.child.exitCode).toBeNull();
    process.kill(c.l.pid, 'SIGTERM');
    expect((await c.l.exited).code).toBe(0);
    expect(c.l.logs().filter((e) => e.level === 'error')).toEqual([]);
  });

  it('exits 2 at once on a configuration error, naming the variable', async () => {
    const c = await core(['nats://127.0.0.1:4222'], { AGGREGATOR_PORTS: '8082,not-a-port' });
    const exited = await c.l.exited;
    expect(exited.code).toBe(2);
    const failed = c.l.logs().filter((e) => e.level === 'error');
    expect(failed.map((e) => e.msg)).toEqual(['core configuration error']);
    expect(JSON.stringify(failed[0])).toMatch(/AGGREGATOR_PORTS: must be a port number/);
    expect(retries(c.l)).toEqual([]);
  });
});
