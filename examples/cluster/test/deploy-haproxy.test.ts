import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { READY_TIMEOUT_MS, createQueryApi, silentLogger, type QueryApi } from '@pulse/query-api';
import { api, freePort, startNats, tempDir, type TempDir, type TestNats } from '@pulse/testkit';
import { findHaproxy } from '../src/haproxy.js';
import { sleep, until } from './cluster-checks.js';

/**
 * deploy/haproxy.cfg as HAProxy runs it (certificates left out, loopback addresses), in front of a
 * real query API whose NATS goes away. Its query backend must keep a degraded instance in rotation
 * (`/readyz` 200 `degraded`, answered only after the 2 s KV probe gave up) while reads are served
 * from last known good tenancy, and take it out once the stale-tenancy window has passed (503).
 */
const DEPLOY_CFG = fileURLToPath(new URL('../../../deploy/haproxy.cfg', import.meta.url));
const ADMIN_TOKEN = 'deploy-haproxy-admin-token-0123456789';
const STALE_MAX_MS = 12_000;

/**
 * The deploy file with each frontend on one loopback port (`ports`, by section name, e.g.
 * `frontend query`), TLS left out, a smaller connection limit, the collectors' servers dropped and
 * the query backend's one server pointed at `queryApi`.
 */
function localConfig(text: string, ports: (section: string) => number, queryApi: string): string {
  let section = '';
  let servedQuery = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const head = /^([a-z]\S*)\s*(\S*)/.exec(line);
    if (head) section = `${head[1]} ${head[2]}`.trim();
    if (/^\s+bind\s/.test(line)) {
      if (out.at(-1)?.trim().startsWith('bind ')) continue;
      out.push(`    bind 127.0.0.1:${ports(section)}`);
      continue;
    }
    // The deploy file's connection limit needs more file descriptors than a test machine allows.
    if (section === 'global' && /^\s+maxconn\s/.test(line)) {
      out.push('    maxconn 4096');
      continue;
    }
    if (/^\s+server\s/.test(line)) {
      if (section !== 'backend query_apis' || servedQuery) continue;
      out.push(`    server query-api-1 ${queryApi}`);
      servedQuery = true;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** HAProxy's view of the query API: `UP`, `DOWN`, or a transition like `UP 1/2`. */
async function serverStatus(statsPort: number): Promise<string | undefined> {
  const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, { signal: AbortSignal.timeout(2_000) })).text();
  const [header, ...rows] = csv.trim().split('\n');
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const row = rows.map((r) => r.split(',')).find((r) => r[cols.indexOf('pxname')] === 'query_apis' && r[cols.indexOf('svname')] === 'query-api-1');
  return row?.[cols.indexOf('status')];
}

describe('deploy/haproxy.cfg in front of query APIs', () => {
  let dir: TempDir;
  let nats: TestNats;
  let nc: NatsConnection;
  let storage: Storage;
  let queryApi: QueryApi;
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let lbPort: number;
  let statsPort: number;
  let apiPort: number;

  beforeAll(async () => {
    dir = tempDir('pulse-deploy-haproxy-');
    nats = await startNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    storage = createStorage({ path: join(dir.path, 'clickhouse') });
    await migrate(storage);
    queryApi = createQueryApi({ nats: nc, storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: silentLogger, tenancyStaleMaxMs: STALE_MAX_MS });
    apiPort = (await queryApi.start()).port;
    const ports = new Map<string, number>();
    const portOf = (section: string): number => ports.get(section) ?? 0;
    for (const section of ['frontend ingest', 'frontend query', 'frontend stats']) ports.set(section, await freePort());
    lbPort = portOf('frontend query');
    statsPort = portOf('frontend stats');
    const file = join(dir.path, 'haproxy.cfg');
    writeFileSync(file, localConfig(readFileSync(DEPLOY_CFG, 'utf8'), portOf, `127.0.0.1:${apiPort}`));
    haproxy = spawn(findHaproxy(), ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (b: Buffer) => (haproxyLog += b.toString()));
    haproxy.stderr?.on('data', (b: Buffer) => (haproxyLog += b.toString()));
  });

  afterAll(async () => {
    haproxy?.kill('SIGKILL');
    await queryApi?.stop(100);
    await nc?.close();
    await storage?.close();
    await nats?.cleanup();
    dir?.remove();
  });

  it('is a configuration HAProxy accepts, whose query check waits longer than the query API\'s probes', () => {
    const text = readFileSync(DEPLOY_CFG, 'utf8');
    const file = join(dir.path, 'deploy-check.cfg');
    writeFileSync(file, text.replace(/ ssl crt \S+ alpn \S+/g, ''));
    expect(execFileSync(findHaproxy(), ['-c', '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(/Configuration file is valid/);
    const backend = /^backend query_apis\n((?:[ \t].*\n?|\n)*)/m.exec(text)?.[1] ?? '';
    expect(backend).toMatch(/http-check send meth GET uri \/readyz/);
    expect(backend).toMatch(/http-check expect status 200/);
    const checkTimeout = /timeout check (\d+)s/.exec(backend);
    expect(Number(checkTimeout?.[1]) * 1000).toBeGreaterThan(READY_TIMEOUT_MS);
  });

  it('keeps a degraded query API in rotation while NATS is out of reach within the window, takes it out after, and back once NATS is', async () => {
    const lb = `http://127.0.0.1:${lbPort}`;
    await until('HAProxy to mark the query API UP', 30_000, async () => {
      if (haproxy?.exitCode !== null) throw new Error(`haproxy exited: ${haproxyLog}`);
      return (await serverStatus(statsPort)) === 'UP' ? true : undefined;
    });
    // A tenant whose read key the API has confirmed before the outage.
    const m = await api<{ merchant_id: string }>(`${lb}/v1/admin/merchants`, { token: ADMIN_TOKEN, body: { name: 'Behind the balancer' } });
    const s = await api<{ site_id: string }>(`${lb}/v1/admin/sites`, { token: ADMIN_TOKEN, body: { merchant_id: m.body.merchant_id, domain: 'lb.example' } });
    const k = await api<{ read_key: string }>(`${lb}/v1/admin/keys`, { token: ADMIN_TOKEN, body: { merchant_id: m.body.merchant_id } });
    const realtime = () => api(`${lb}/v1/realtime?site_id=${s.body.site_id}`, { token: k.body.read_key });
    expect((await realtime()).status).toBe(200);

    await nats.kill();
    const down = Date.now();
    // Within the window: degraded through the balancer, the server UP at every look, reads answered.
    const seen = new Set<string>();
    while (Date.now() - down < STALE_MAX_MS - 4_000) {
      seen.add((await serverStatus(statsPort)) ?? 'missing');
      await sleep(250);
    }
    expect([...seen]).toEqual(['UP']);
    const ready = await api<Record<string, unknown>>(`${lb}/readyz`);
    expect(ready).toMatchObject({ status: 200, body: { status: 'degraded', tenancy: 'stale' } });
    expect((await realtime()).status).toBe(200);

    // Past the window: 503, and out of rotation (HAProxy answers 503 itself, with Retry-After).
    await until('HAProxy to mark the query API DOWN', STALE_MAX_MS + 15_000, async () => ((await serverStatus(statsPort)) === 'DOWN' ? true : undefined));
    expect(Date.now() - down).toBeGreaterThanOrEqual(STALE_MAX_MS);
    const direct = await api<Record<string, unknown>>(`http://127.0.0.1:${apiPort}/readyz`);
    expect(direct).toMatchObject({ status: 503, body: { status: 'not_ready', tenancy: 'unavailable' } });
    const refused = await fetch(`${lb}/v1/realtime?site_id=${s.body.site_id}`, { headers: { authorization: `Bearer ${k.body.read_key}` } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');

    await nats.restart();
    await until('HAProxy to mark the query API UP again', 60_000, async () => ((await serverStatus(statsPort)) === 'UP' ? true : undefined));
    expect((await realtime()).status).toBe(200);
  });
});
