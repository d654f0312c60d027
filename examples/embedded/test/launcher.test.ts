import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftovers, tempDir, type TempDir, servicePorts } from '@pulse/testkit';
import { createTenant, eventually, query, sendBatch, type Tenant } from './helpers.js';
import { alive, launch, recordedPids, type Launched } from './launcher.js';

/**
 * `npm start` as a user runs it: the built launcher in its own process group, configured by the
 * environment, stopped by a Ctrl-C to the whole group or killed outright.
 */
const EVENTS = 500;
const BATCH = 100;

describe('the npm start launcher', () => {
  let dir: TempDir;
  let cwd: string;
  let dataDir: string;
  let env: Record<string, string>;
  let tenant: Tenant;
  const launched: Launched[] = [];
  const collectorUrl = () => `http://127.0.0.1:${env.COLLECTOR_PORT}`;
  const queryUrl = () => `http://127.0.0.1:${env.QUERY_PORT}`;
  const range = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });
  const count = async () => (await query(queryUrl(), tenant.readKey, { site_id: tenant.siteId, metrics: ['pageviews'], date_range: range() })).body.results?.[0]?.metrics[0];

  const start = (extra: Record<string, string> = {}) => {
    const l = launch({ ...env, ...extra }, [], cwd);
    launched.push(l);
    return l;
  };
  const started = async (extra: Record<string, string> = {}) => {
    const l = start(extra);
    await l.waitFor(/Press Ctrl-C to stop/);
    return l;
  };
  const errors = (l: Launched) => l.logs().filter((e) => e.level === 'error');

  beforeAll(async () => {
    dir = tempDir('pulse-launcher-');
    // npm runs the script from the repository root; INIT_CWD is where the user typed the command.
    cwd = join(dir.path, 'elsewhere');
    mkdirSync(cwd);
    dataDir = join(dir.path, 'data');
    const [collector, query, aggregator, nats] = await servicePorts(4);
    env = {
      INIT_CWD: dir.path,
      HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collector),
      QUERY_PORT: String(query),
      AGGREGATOR_PORT: String(aggregator),
      NATS_PORT: String(nats),
    };
  });

  afterAll(async () => {
    killLeftovers(launched, dataDir);
    dir?.remove();
  });

  it('reports a configuration error as one line naming the variable, exit 2, no stack trace', async () => {
    const short = start({ ADMIN_TOKEN: 'short' });
    expect((await short.exited).code).toBe(2);
    expect(short.stderr().trim()).toBe('Pulse cannot start: ADMIN_TOKEN must be at least 16 characters');

    const port = start({ COLLECTOR_PORT: 'eighty' });
    expect((await port.exited).code).toBe(2);
    expect(port.stderr().trim()).toBe('Pulse cannot start: COLLECTOR_PORT must be a port number 0..65535 (it is "eighty")');

    const runtime = launch({ ...env }, ['--collector-runtime', 'deno'], cwd);
    launched.push(runtime);
    expect((await runtime.exited).code).toBe(2);
    expect(runtime.stderr().trim()).toBe('Pulse cannot start: --collector-runtime must be "bun" or "node" (it is "deno")');
  });

  it('refuses a HOST that does not resolve, or that is not this machine, before touching the data dir', async () => {
    const hostData = join(dir.path, 'host-data');
    const unresolved = start({ HOST: 'no-such-host.invalid', DATA_DIR: hostData });
    expect((await unresolved.exited).code).toBe(2);
    expect(unresolved.stderr().trim()).toBe('Pulse cannot start: HOST must be a name or address of this machine; it does not resolve (it is "no-such-host.invalid")');
    // TEST-NET-1 (RFC 5737): an address no machine of ours has.
    const foreign = start({ HOST: '192.0.2.7', DATA_DIR: hostData });
    expect((await foreign.exited).code).toBe(2);
    expect(foreign.stderr().trim()).toBe('Pulse cannot start: HOST must be a name or address of this machine; it is not one of its addresses (it is "192.0.2.7")');
    expect(existsSync(hostData)).toBe(false);
  });

  it('says how to install nats-server when NATS_SERVER_BIN points at nothing', async () => {
    const l = start({ NATS_SERVER_BIN: join(dir.path, 'nope'), DATA_DIR: join(dir.path, 'other-data') });
    expect((await l.exited).code).toBe(1);
    expect(l.stderr()).toContain('apt-get install -y nats-server');
    expect(l.stderr()).not.toMatch(/^\s+at /m);
  });

  it('names a port another process holds and says what to do, before touching the data', async () => {
    // Accepts and never answers; reads, so a closed connection ends and close() can finish.
    const holder: Server = createServer((socket) => socket.resume());
    await new Promise<void>((r) => holder.listen(Number(env.COLLECTOR_PORT), '127.0.0.1', r));
    try {
      const l = start();
      expect((await l.exited).code).toBe(1);
      expect(l.stderr()).toContain(`port ${env.COLLECTOR_PORT}`);
      expect(l.stderr()).toContain('COLLECTOR_PORT');
      expect(l.stderr()).not.toMatch(/^\s+at /m);
      expect(l.logs().some((e) => e.msg === 'nats-server started')).toBe(false);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('drains on a Ctrl-C to its whole process group: no error, in order, exit 0', async () => {
    const l = await started();
    // Relative DATA_DIR default: where the user ran npm, not the script's working directory.
    expect(l.stderr()).toContain(`(generated; kept in ${join(dataDir, 'admin-token')})`);
    const token = /admin token (\S+)/.exec(l.stderr())?.[1] as string;
    tenant = await createTenant(queryUrl(), token, 'ctrl-c');
    const now = Date.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => ({ id: `cc-${i + k}`, name: 'pageview', ts: now - 1000, url: 'https://ctrl-c.example.com/', visitor_id: `v${k}` }));
      expect((await sendBatch(collectorUrl(), tenant.writeKey, { events }, 'msgpack')).status).toBe(202);
    }
    const t0 = Date.now();
    process.kill(-l.pid, 'SIGINT');
    const { code } = await l.exited;
    expect(errors(l)).toEqual([]);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const parts = l.logs().filter((e) => e.msg === 'stopped' && e.service === 'embedded').map((e) => e.part);
    // The watch over the children stops first, so the collector's exit is not taken for a crash.
    expect(parts.slice(0, 2)).toEqual(['supervisor', 'collector']);
    expect(parts.indexOf('aggregator')).toBeLessThan(parts.indexOf('nats-server'));
    expect(parts[parts.length - 1]).toBe('nats-server');
    expect(recordedPids(dataDir).filter(alive)).toEqual([]);
  });

  it('has every accepted event after the restart, and says where the kept admin token is', async () => {
    const l = await started();
    expect(l.stderr()).toContain(`admin token kept in ${join(dataDir, 'admin-token')}`);
    expect(await eventually(count, (n) => n === EVENTS)).toBe(EVENTS);
    process.kill(l.pid, 'SIGTERM');
    expect((await l.exited).code).toBe(0);
    expect(errors(l)).toEqual([]);
  });

  it('comes up after a SIGKILL, stopping the nats-server and collector the killed run left behind', async () => {
    const first = await started();
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    const orphans = recordedPids(dataDir).filter(alive);
    expect(orphans.length).toBe(2); // nats-server and the collector

    const second = await started();
    const reaped = second.logs().filter((e) => /left running by an earlier run/.test(String(e.msg)));
    expect(reaped.map((e) => e.name).sort()).toEqual(['collector', 'nats-server']);
    for (const pid of orphans) expect(alive(pid)).toBe(false);
    expect(await eventually(count, (n) => n === EVENTS)).toBe(EVENTS);
    expect((await sendBatch(collectorUrl(), tenant.writeKey, { events: [{ id: 'after-kill', name: 'pageview', url: 'https://ctrl-c.example.com/' }] }, 'json')).status).toBe(202);
    expect(await eventually(count, (n) => n === EVENTS + 1)).toBe(EVENTS + 1);
    process.kill(second.pid, 'SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(errors(second)).toEqual([]);
  });
});
