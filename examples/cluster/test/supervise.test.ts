import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_STREAM } from '@pulse/protocol';
import { killLeftovers, tempDir, type TempDir } from '@pulse/testkit';
import { countEvents, createTenant } from './admin.js';
import { natsClient, until, waitBackendsUp, waitStreamsCurrent } from './cluster-checks.js';
import { alive, clusterPorts, launch, type Launched } from './launcher.js';

/**
 * `npm run cluster` keeps its services running: a collector, a NATS node and the core process
 * SIGKILLed behind its back come back (new process, ready, the node on its own store and routes)
 * and ingest through the balancer is counted again. The node killed is the JetStream meta leader:
 * an election follows, during which the new core's JetStream calls may time out (it retries its
 * start until they are answered; should that outlast the launcher's ready timeout, the launcher
 * starts it once more).
 */
const ADMIN_TOKEN = 'supervise-admin-token-0123456789';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

describe('the npm run cluster launcher restarts a service that dies', () => {
  let dir: TempDir;
  let dataDir: string;
  let env: Record<string, string>;
  let nc: NatsConnection | undefined;
  const launched: Launched[] = [];
  const url = (port: string | undefined, path: string) => `http://127.0.0.1:${port}${path}`;
  const pidOf = (part: string) => Number(readFileSync(join(dataDir, 'run', `${part}.pid`), 'utf8').split('\n')[0]);
  const status = (u: string) => fetch(u, { signal: AbortSignal.timeout(2_000) }).then(
    async (r) => (await r.arrayBuffer(), r.status),
    () => 0,
  );
  const ready = (what: string, u: string) => until(`${what} ready`, 60_000, async () => ((await status(u)) === 200 ? true : undefined));
  /** The node's monitoring address, from the ports file its (re)start wrote. */
  const monitorUrl = (node: string) => {
    const portsDir = join(dataDir, 'nats', node, 'ports');
    const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
    const ports = JSON.parse(readFileSync(join(portsDir, file as string), 'utf8')) as { monitoring: string[] };
    return ports.monitoring[0] as string;
  };
  const ingest = async (writeKey: string, id: string) => {
    const res = await fetch(url(env.LB_PORT, '/v1/batch'), {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json', 'user-agent': BROWSER_UA },
      body: JSON.stringify({ events: [{ id, name: 'pageview', url: 'https://supervise.example/' }] }),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  beforeAll(async () => {
    dir = tempDir('pulse-cluster-supervise-');
    dataDir = join(dir.path, 'data');
    env = {
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      ...(await clusterPorts()),
    };
  });

  afterAll(async () => {
    await nc?.close();
    killLeftovers(launched, dataDir);
    dir?.remove();
  });

  it('starts a SIGKILLed collector, NATS node and core again: new pids, ready, ingest counted, then drains cleanly', async () => {
    const l = launch(env);
    launched.push(l);
    await l.waitFor(/Press Ctrl-C to drain and stop/);
    const queryUrl = url(env.QUERY_PORT, '');
    const tenant = await createTenant(queryUrl, ADMIN_TOKEN, 'supervise');
    const since = Date.now();
    const counted = (n: number) => until(`${n} events counted`, 60_000, async () => ((await countEvents(queryUrl, tenant, since)) === n ? n : undefined));
    expect(await ingest(tenant.writeKey, 'before')).toEqual({ status: 202, body: { accepted: 1, rejected: [] } });
    expect(await counted(1)).toBe(1);

    const meta = (await (await fetch(`${monitorUrl('n0')}/jsz`)).json()) as { meta_cluster?: { leader?: string } };
    const node = meta.meta_cluster?.leader as string;
    expect(node).toMatch(/^n[012]$/);
    const KILLED = ['collector-1', `nats-${node}`, 'core'];
    const before = Object.fromEntries(KILLED.map((part) => [part, pidOf(part)]));
    for (const part of KILLED) process.kill(before[part] as number, 'SIGKILL');

    // Each one is a new process, recorded in its pid file (a later hard kill of the launcher finds it).
    const after = await until('new pids', 30_000, async () => {
      const now = Object.fromEntries(KILLED.map((part) => [part, pidOf(part)]));
      return KILLED.every((part) => now[part] !== before[part] && alive(now[part] as number)) ? now : undefined;
    });
    for (const part of KILLED) expect(alive(before[part] as number)).toBe(false);

    // The collector and the core answer ready; the balancer has both collectors in rotation again.
    const collectorPort = env.COLLECTOR_PORTS?.split(',')[0];
    await ready('collector-1', url(collectorPort, '/readyz'));
    await ready('the query API', url(env.QUERY_PORT, '/readyz'));
    for (const port of env.AGGREGATOR_PORTS?.split(',') ?? []) await ready(`aggregator :${port}`, url(port, '/readyz'));
    await waitBackendsUp(url(env.LB_STATS_PORT, '/stats'), 2);

    // The node is back in the JetStream cluster (healthz: current with the meta leader), on its
    // own store, routed to both peers, and every stream's replica on it is current again.
    const monitor = monitorUrl(node);
    await ready(`nats-${node}`, `${monitor}/healthz`);
    const varz = (await (await fetch(`${monitor}/varz`)).json()) as { server_name: string; jetstream?: { config?: { store_dir?: string } } };
    expect(varz.server_name).toBe(node);
    expect(varz.jetstream?.config?.store_dir).toContain(join(dataDir, 'nats', node, 'store'));
    const routez = (await (await fetch(`${monitor}/routez`)).json()) as { num_routes: number };
    expect(routez.num_routes).toBeGreaterThanOrEqual(2);
    nc = await natsClient((env.NATS_PORTS as string).split(',').map((p) => `nats://127.0.0.1:${p}`));
    await waitStreamsCurrent(nc, 3);
    const events = (await (await nc.jetstreamManager()).streams.info(EVENTS_STREAM)).cluster;
    expect([events?.leader, ...(events?.replicas ?? []).map((r) => r.name)].sort()).toEqual(['n0', 'n1', 'n2']);

    // Ingest through the balancer is accepted and counted again (round robin: both collectors).
    for (let i = 0; i < 4; i++) expect(await ingest(tenant.writeKey, `after-${i}`)).toEqual({ status: 202, body: { accepted: 1, rejected: [] } });
    expect(await counted(5)).toBe(5);

    // One death reported per part killed; any other error is a start of one of them that failed and was retried.
    const errors = () => l.logs().filter((e) => e.level === 'error');
    expect(errors().filter((e) => String(e.msg).includes('exited unexpectedly')).map((e) => e.part).sort()).toEqual([...KILLED].sort());
    for (const e of errors().filter((x) => !String(x.msg).includes('exited unexpectedly'))) {
      expect([KILLED.includes(String(e.part)), e.msg]).toEqual([true, `${String(e.part)} could not be started again; retrying`]);
    }
    const errorsBeforeDrain = errors().length;
    expect(
      l
        .logs()
        .filter((e) => String(e.msg).endsWith('started again'))
        .map((e) => e.part)
        .sort(),
    ).toEqual([...KILLED].sort());

    // A drain is not a death: nothing more is logged as an error, nothing is started again.
    process.kill(l.pid, 'SIGTERM');
    expect((await l.exited).code).toBe(0);
    expect(errors()).toHaveLength(errorsBeforeDrain);
    expect(l.logs().filter((e) => e.msg === 'stopped').map((e) => e.part)).toEqual(['supervisor', 'collectors', 'load balancer', 'core', 'nats']);
    for (const part of KILLED) expect(alive(after[part] as number)).toBe(false);
  });
});
