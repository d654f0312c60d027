import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftovers, tempDir, type TempDir } from '@pulse/testkit';
import { countEvents, createTenant, type Tenant } from './admin.js';
import { until } from './cluster-checks.js';
import { alive, clusterPorts, launch, recordedPids, serviceErrors, type Launched } from './launcher.js';

/**
 * `npm run cluster` as a user runs it: the built launcher in its own process group, in this
 * package's folder (npm runs a workspace script there), stopped by a Ctrl-C to the whole group or
 * killed outright.
 */
const EVENTS = 300;
const BATCH = 50;
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

describe('the npm run cluster launcher', () => {
  let dir: TempDir;
  let dataDir: string;
  let env: Record<string, string>;
  let tenant: Tenant;
  let since: number;
  const launched: Launched[] = [];
  const ingestUrl = () => `http://127.0.0.1:${env.LB_PORT}`;
  const queryUrl = () => `http://127.0.0.1:${env.QUERY_PORT}`;

  const start = (extra: Record<string, string> = {}) => {
    const l = launch({ ...env, ...extra });
    launched.push(l);
    return l;
  };
  const started = async () => {
    const l = start();
    await l.waitFor(/Press Ctrl-C to drain and stop/);
    return l;
  };
  const errors = (l: Launched) => l.logs().filter((e) => e.level === 'error');
  const counted = (n: number) => until(`${n} events counted`, 120_000, async () => ((await countEvents(queryUrl(), tenant, since)) === n ? n : undefined));

  beforeAll(async () => {
    dir = tempDir('pulse-cluster-launcher-');
    // The user ran npm here; npm runs the script in examples/cluster.
    dataDir = join(dir.path, 'data-cluster');
    env = {
      INIT_CWD: dir.path,
      ...(await clusterPorts()),
    };
  });

  afterAll(async () => {
    killLeftovers(launched, dataDir);
    dir?.remove();
  });

  it('reports a configuration error as one line naming the variable, exit 2, no stack trace', async () => {
    const short = start({ ADMIN_TOKEN: 'short' });
    expect((await short.exited).code).toBe(2);
    expect(short.stderr().trim()).toBe('The cluster cannot start: ADMIN_TOKEN must be at least 16 characters without spaces');

    const { LB_PORT: _, ...withoutLb } = env;
    const fallback = launch({ ...withoutLb, COLLECTOR_PORT: '99999' });
    launched.push(fallback);
    expect((await fallback.exited).code).toBe(2);
    expect(fallback.stderr().trim()).toBe('The cluster cannot start: COLLECTOR_PORT must be a port number 1..65535 (it is "99999")');

    const nats = start({ NATS_PORTS: `${env.NATS_PORTS},x` });
    expect((await nats.exited).code).toBe(2);
    expect(nats.stderr().trim()).toMatch(/^The cluster cannot start: NATS_PORTS must be a port number 1\.\.65535 \(it is "[\d,]+,x"\)$/);
  });

  it('refuses a HOST that does not resolve, or that is not this machine, before touching the data dir', async () => {
    const hostData = join(dir.path, 'host-data');
    const unresolved = start({ HOST: 'no-such-host.invalid', DATA_DIR: hostData });
    expect((await unresolved.exited).code).toBe(2);
    expect(unresolved.stderr().trim()).toBe('The cluster cannot start: HOST must be a name or address of this machine; it does not resolve (it is "no-such-host.invalid")');
    // TEST-NET-1 (RFC 5737): an address no machine of ours has.
    const foreign = start({ HOST: '192.0.2.7', DATA_DIR: hostData });
    expect((await foreign.exited).code).toBe(2);
    expect(foreign.stderr().trim()).toBe('The cluster cannot start: HOST must be a name or address of this machine; it is not one of its addresses (it is "192.0.2.7")');
    expect(existsSync(hostData)).toBe(false);
  });

  it('names a port another process holds and says what to do, before starting anything', async () => {
    // Accepts and never answers; reads, so a closed connection ends and close() can finish.
    const holder: Server = createServer((socket) => socket.resume());
    await new Promise<void>((r) => holder.listen(Number(env.LB_PORT), '127.0.0.1', r));
    try {
      const l = start();
      expect((await l.exited).code).toBe(1);
      expect(l.stderr().trim()).toMatch(new RegExp(`^The cluster cannot start: port ${env.LB_PORT} \\(HAProxy\\) is already in use .* or set LB_PORT to use another port\\.$`));
      expect(l.logs().some((e) => e.msg === 'nats cluster up')).toBe(false);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('drains on a Ctrl-C to its whole process group: the watch, collectors, balancer, core, NATS, no error, exit 0', async () => {
    const l = await started();
    // DATA_DIR's default ./data-cluster is where the user ran npm, not examples/cluster.
    expect(l.stderr()).toContain(`(generated; kept in ${join(dataDir, 'admin-token')})`);
    const token = /admin token\s+(\S+)/.exec(l.stderr())?.[1] as string;
    tenant = await createTenant(queryUrl(), token, 'ctrl-c');
    since = Date.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => ({ id: `cc-${i + k}`, name: 'pageview', url: 'https://ctrl-c.example/', visitor_id: `v${k}` }));
      const res = await fetch(`${ingestUrl()}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.writeKey}`, 'content-type': 'application/json', 'user-agent': BROWSER_UA },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(202);
      await res.arrayBuffer();
    }
    process.kill(-l.pid, 'SIGINT');
    const { code } = await l.exited;
    expect(errors(l)).toEqual([]);
    expect(serviceErrors(dataDir)).toEqual([]);
    expect(code).toBe(0);
    const parts = l.logs().filter((e) => e.msg === 'stopped').map((e) => e.part);
    // The watch over the services stops first, so their exits are not taken for crashes.
    expect(parts).toEqual(['supervisor', 'collectors', 'load balancer', 'core', 'nats']);
    const codes = l.logs().find((e) => e.part === 'collectors')?.codes;
    expect(codes).toEqual({ 'collector-1': 0, 'collector-2': 0 });
    expect(l.logs().find((e) => e.part === 'core')?.code).toBe(0);
    expect(recordedPids(dataDir).filter(alive)).toEqual([]);
  });

  it('has every accepted event after the restart, and says where the kept admin token is', async () => {
    const l = await started();
    expect(l.stderr()).toContain(`admin token      kept in ${join(dataDir, 'admin-token')}`);
    expect(await counted(EVENTS)).toBe(EVENTS);

    // A hard kill leaves every service running; the next start stops them and comes up.
    process.kill(l.pid, 'SIGKILL');
    await l.exited;
    const orphans = recordedPids(dataDir).filter(alive);
    expect(orphans.length).toBeGreaterThan(0);
    const again = await started();
    // Each one still running is stopped (some die on their own: their output pipe has no reader).
    const reaped = again.logs().filter((e) => /left running by an earlier run/.test(String(e.msg)));
    expect(reaped.length).toBeGreaterThan(0);
    expect(reaped.map((e) => e.outcome)).not.toContain('survived');
    for (const pid of orphans) expect(alive(pid)).toBe(false);
    expect(await counted(EVENTS)).toBe(EVENTS);
    process.kill(again.pid, 'SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect(errors(again)).toEqual([]);
  });
});

