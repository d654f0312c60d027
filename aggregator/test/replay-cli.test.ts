import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { encodeRecord, KV_SITES, KV_STATE } from '@pulse/protocol';
import { freePort, startNats, tempDir, type TempDir, type TestNats } from '@pulse/testkit';
import { AggregatorError, createAggregator, createReplayManager, KV_REPLAYS, silentLogger, type ReplayManager, type ReplayStatus } from '../src/index.js';
import { createStorage, type Storage } from '../src/storage/index.js';
import { count, publish, SITE, waitFor } from './helpers/fixture.js';
import { caughtUp, numbers, siteRecord, traffic } from './helpers/replay.js';

const CLI = fileURLToPath(new URL('../dist/replay-cli.js', import.meta.url));
const ADMIN = "site_id = 's_AAAAAAAAAAAAAAAA' AND path LIKE '/admin/%'";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Env {
  server: TestNats;
  nc: NatsConnection;
  dir: TempDir;
  open(): Storage;
}

async function env(): Promise<Env> {
  const server = await startNats();
  const nc = await connect({ servers: server.url });
  const dir = tempDir();
  cleanups.push(async () => {
    await nc.close().catch(() => {});
    await server.cleanup();
    dir.remove();
  });
  return { server, nc, dir, open: () => createStorage({ path: `${dir.path}/clickhouse` }) };
}

/** Live data with old /admin/* events, then the rule that excludes them. */
async function seed(e: Env, storage: Storage, messages: number): Promise<{ from: string; to: string }> {
  const sites = await e.nc.jetstream().views.kv(KV_SITES, { history: 1 });
  await sites.put(SITE, encodeRecord(siteRecord(SITE, [])));
  const a = createAggregator({ nats: e.nc, storage, logger: silentLogger });
  await a.start();
  const t0 = Date.now() - 30 * 60_000;
  const js = e.nc.jetstream();
  for (let i = 0; i < messages; i++) await publish(js, traffic(t0 + i * 100, { visitors: 1 }));
  await caughtUp(await e.nc.jetstreamManager());
  await a.stop();
  await sites.put(SITE, encodeRecord(siteRecord(SITE, ['/admin/*'])));
  return { from: new Date(t0 - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
}

function run(args: string[], extraEnv: Record<string, string>): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CLICKHOUSE_URL: '', QUERY_URL: '', ADMIN_TOKEN: '', NATS_URL: '', QUERY_PORT: '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, out: () => out, err: () => err, exit };
}

describe('replay CLI (dist/replay-cli.js)', () => {
  it('says so when the chDB data directory is open in another process, and points at the query API', async () => {
    const e = await env();
    const storage = e.open();
    cleanups.push(() => storage.close());
    await storage.ping();
    const now = Date.now();
    const busy = run(['--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString()], {
      NATS_URL: e.server.url,
      DATA_DIR: e.dir.path,
    });
    expect(await busy.exit).toBe(1);
    expect(busy.err()).toMatch(/data_dir_in_use: .*QUERY_URL \+ ADMIN_TOKEN/);
  });

  it('prints its usage, with the ways to reach the data, on --help and exits 0', async () => {
    const help = run(['--help'], {});
    expect(await help.exit).toBe(0);
    expect(help.out()).toMatch(/^usage: replay --from/);
    expect(help.out()).toContain('QUERY_URL + ADMIN_TOKEN');
    // What exits 2 is what it says exits 2.
    expect(help.out()).toMatch(/2 bad usage or settings: arguments \(a range, an unknown --site\)[^]*a URL that is not the query API/);
  });

  it('says the URL it hit is not the query API (a collector port in QUERY_PORT), names the variable to set, and exits 2', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    writeFileSync(join(dir.path, 'admin-token'), 'at_generated\n');
    const range = rangeArgs();
    // The collector's answer to any path it does not serve, whatever the token (edge-collector collector-core.ts).
    const collector = await serve((_req, res) => json(res, 404, { error: { code: 'not_found', message: 'no such route' } }));
    const viaPort = run(range, { DATA_DIR: dir.path, QUERY_PORT: String(collector.port) });
    expect(await viaPort.exit).toBe(2);
    expect(viaPort.err()).toContain(
      `replay: not_query_api: ${collector.url} looks like Pulse's collector, not its query API (POST ${collector.url}/v1/admin/replays answered 404 (not_found: no such route), and GET ${collector.url}/openapi.json answered 404): the URL comes from QUERY_PORT (8081 when unset): set QUERY_PORT to the port \`npm start\` serves the query API on (not COLLECTOR_PORT, the collector's), or QUERY_URL`,
    );
    expect(viaPort.out()).toBe('');
    // Some other web server, named by QUERY_URL.
    const other = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not Found</h1>');
    });
    const viaUrl = run(range, { QUERY_URL: `${other.url}/`, ADMIN_TOKEN: 't' });
    expect(await viaUrl.exit).toBe(2);
    expect(viaUrl.err()).toContain(`replay: not_query_api: ${other.url} does not look like Pulse's query API (POST ${other.url}/v1/admin/replays answered 404, and GET ${other.url}/openapi.json answered 404): set QUERY_URL to the query API's address`);
  });

  it('exits 3 only for an overlapping replay: another 409 of the query API (no_pipeline_state) is a failure, 1', async () => {
    const range = rangeArgs();
    const api = (code: string) =>
      serve((req, res) => {
        if (req.url === '/openapi.json') return json(res, 200, { paths: { '/v1/admin/replays': { post: {} } } });
        json(res, 409, { error: { code, message: `${code} here` } });
      });
    const overlap = await api('replay_conflict');
    const refused = run(range, { QUERY_URL: overlap.url, ADMIN_TOKEN: 't' });
    expect(await refused.exit).toBe(3);
    expect(refused.err()).toContain(`replay: replay_conflict: replay_conflict here (POST ${overlap.url}/v1/admin/replays answered 409)`);
    const noState = await api('no_pipeline_state');
    const failed = run(range, { QUERY_URL: noState.url, ADMIN_TOKEN: 't' });
    expect(await failed.exit).toBe(1);
    expect(failed.err()).toContain(`replay: no_pipeline_state: no_pipeline_state here (POST ${noState.url}/v1/admin/replays answered 409)`);
  });

  it('refuses a --site that names no site with exit 2, through the query API and directly', async () => {
    const unknown = 's_ZZZZZZZZZZZZZZZZ';
    const range = rangeArgs();
    // The query API's answers (query-api routes/replays.ts): a 404 for the site; /openapi.json lists the endpoint.
    const api = await serve((req, res) => {
      if (req.url === '/openapi.json') return json(res, 200, { openapi: '3.1.0', paths: { '/v1/admin/replays': { post: {} } } });
      json(res, 404, { error: { code: 'not_found', message: 'site not found' } });
    });
    const viaApi = run([...range, '--site', unknown], { QUERY_URL: api.url, ADMIN_TOKEN: 't' });
    expect(await viaApi.exit).toBe(2);
    expect(viaApi.err()).toContain(
      `replay: unknown_site: there is no site ${unknown} (POST ${api.url}/v1/admin/replays answered 404 (not_found: site not found)): check --site, or leave it out to replay every site`,
    );

    // Directly: Pulse's NATS (its state bucket) with one site, a chDB directory, nothing else.
    const e = await env();
    await e.nc.jetstream().views.kv(KV_STATE, { history: 1 });
    await (await e.nc.jetstream().views.kv(KV_SITES, { history: 1 })).put(SITE, encodeRecord(siteRecord(SITE, [])));
    mkdirSync(join(e.dir.path, 'clickhouse'));
    const direct = run([...range, '--site', unknown], { NATS_URL: e.server.url, DATA_DIR: e.dir.path });
    expect(await direct.exit).toBe(2);
    expect(direct.err()).toContain(`replay: unknown_site: there is no site ${unknown} in PULSE_SITES on NATS at ${e.server.url}: check --site`);
    // A site that exists gets past that check, on to ClickHouse (not there).
    const chPort = await freePort();
    const known = run([...range, '--site', SITE], { NATS_URL: e.server.url, CLICKHOUSE_URL: `http://127.0.0.1:${chPort}` });
    expect(await known.exit).toBe(1);
    expect(known.err()).toMatch(/^replay: migration_failed: /m);
  });

  it('with neither an admin token nor NATS_URL, explains the ways to reach the data and exits 2 without touching anything', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const now = Date.now();
    // The user set ADMIN_TOKEN for `npm start` but not here: no token file, and no NATS_URL.
    const cli = run(['--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString()], { DATA_DIR: dir.path });
    expect(await cli.exit).toBe(2);
    expect(cli.err()).toContain(`replay: no_replay_target: found no way to reach the data: ADMIN_TOKEN is not set and there is no admin token in ${join(dir.path, 'admin-token')}`);
    expect(cli.err()).toContain('NATS_URL is not set, which a direct replay needs');
    expect(cli.err()).toContain('usage: replay --from');
    expect(cli.err()).toContain('QUERY_URL + ADMIN_TOKEN');
    expect(cli.out()).toBe('');
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('names the query API URL it could not reach, and what to set', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    writeFileSync(join(dir.path, 'admin-token'), 'at_generated\n');
    const port = await freePort();
    const now = Date.now();
    const range = ['--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString()];
    const viaPort = run(range, { DATA_DIR: dir.path, QUERY_PORT: String(port) });
    expect(await viaPort.exit).toBe(1);
    expect(viaPort.err()).toContain(`replay: query_api_unreachable: could not reach the query API at http://127.0.0.1:${port} (ECONNREFUSED): is \`npm start\` running?`);
    expect(viaPort.err()).toContain('set the same QUERY_PORT here (or QUERY_URL');
    const viaUrl = run(range, { QUERY_URL: `http://127.0.0.1:${port}/`, ADMIN_TOKEN: 't' });
    expect(await viaUrl.exit).toBe(1);
    expect(viaUrl.err()).toContain(`could not reach the query API at http://127.0.0.1:${port} (ECONNREFUSED): is the query API running there? Check QUERY_URL.`);
  });

  it('a direct replay names the NATS URL it could not use, and creates neither a chDB directory nor buckets', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const now = Date.now();
    const range = ['--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString()];
    const nothing = `nats://127.0.0.1:${await freePort()}`;

    const noData = run(range, { NATS_URL: nothing, DATA_DIR: dir.path });
    expect(await noData.exit).toBe(2);
    expect(noData.err()).toContain(`replay: no_chdb_data: no chDB data directory at ${join(dir.path, 'clickhouse')}`);
    expect(readdirSync(dir.path)).toEqual([]);

    const refused = run(range, { NATS_URL: nothing, CLICKHOUSE_URL: 'http://127.0.0.1:9' });
    expect(await refused.exit).toBe(1);
    expect(refused.err()).toContain(`replay: nats_unreachable: could not connect to NATS at ${nothing} (CONNECTION_REFUSED)`);

    // A NATS server that is not Pulse's (no EVENTS stream, no PULSE_STATE bucket) is left as it was.
    const server = await startNats();
    cleanups.push(() => server.cleanup());
    mkdirSync(join(dir.path, 'clickhouse'));
    const unrelated = run(range, { NATS_URL: server.url, DATA_DIR: dir.path });
    expect(await unrelated.exit).toBe(1);
    expect(unrelated.err()).toContain(`replay: stream_unavailable: NATS at ${server.url} has neither the EVENTS stream nor the PULSE_STATE bucket`);
    const nc = await connect({ servers: server.url });
    cleanups.push(() => nc.close());
    const streams = await (await nc.jetstreamManager()).streams.names().next();
    expect(streams).toEqual([]);
    // Pulse's NATS without EVENTS (the archive in ClickHouse holds the history) is let through.
    await nc.jetstream().views.kv(KV_STATE, { history: 1 });
    const chPort = await freePort();
    const archiveOnly = run(range, { NATS_URL: server.url, CLICKHOUSE_URL: `http://127.0.0.1:${chPort}` });
    expect(await archiveOnly.exit).toBe(1);
    // On to ClickHouse, which is not there.
    expect(archiveOnly.err()).toMatch(new RegExp(`^replay: migration_failed: .*ECONNREFUSED 127\\.0\\.0\\.1:${chPort}`, 'm'));
  });

  it('a replay SIGKILLed midway leaves live data unchanged; running it again completes', async () => {
    expect(existsSync(CLI), 'run `npx tsup` first').toBe(true);
    const e = await env();
    let storage = e.open();
    const range = await seed(e, storage, 150);
    const before = await numbers(storage);
    expect(await count(storage, ADMIN)).toBe(150 * 2);
    // The child opens the chDB directory; only one process may.
    await storage.close();

    const cli = run(['--from', range.from, '--to', range.to, '--batch', '1'], { NATS_URL: e.server.url, DATA_DIR: e.dir.path });
    const replays = await e.nc.jetstream().views.kv(KV_REPLAYS, { history: 1 });
    const dec = new TextDecoder();
    await waitFor(
      'the replay to be midway',
      async () => {
        for await (const k of await replays.keys('r.*')) {
          const entry = await replays.get(k);
          const s = entry ? (JSON.parse(dec.decode(entry.value)) as ReplayStatus) : undefined;
          if (s && s.phase === 'reading' && s.messages_done > 0 && s.messages_done < s.messages_total) return true;
        }
        return false;
      },
      30_000,
    );
    cli.child.kill('SIGKILL');
    await cli.exit;

    storage = e.open();
    cleanups.push(() => storage.close());
    expect(await numbers(storage)).toEqual(before);
    const m = createReplayManager({ nats: e.nc, storage, logger: silentLogger, heartbeatMs: 100, staleAfterMs: 1000 });
    cleanups.push(() => m.close());
    const [killed] = await storageKeys(replays);
    await waitFor('the killed replay to read as abandoned', async () => (await m.get(killed!)).state === 'failed');
    expect((await m.get(killed!)).error?.code).toBe('abandoned');

    const again = await m.wait((await m.start(range)).replay_id);
    expect(again.state).toBe('done');
    expect(await count(storage, ADMIN)).toBe(0);
    expect(await count(storage)).toBe(150 * 3);
    // The killed run's staging tables were collected.
    const [left] = await storage.query<{ n: number }>("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name LIKE 'rp\\_%'");
    expect(left?.n).toBe(0);
  });

  it('goes through the query API admin endpoints with QUERY_URL + ADMIN_TOKEN, with a progress bar on stderr', async () => {
    const e = await env();
    const storage = e.open();
    cleanups.push(() => storage.close());
    const range = await seed(e, storage, 20);
    const m = createReplayManager({ nats: e.nc, storage, logger: silentLogger, batchMaxMessages: 2 });
    cleanups.push(() => m.close());
    const server = adminServer(m, 'secret-token');
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const ok = run(['--from', range.from, '--to', range.to, '--site', SITE], { QUERY_URL: url, ADMIN_TOKEN: 'secret-token', NATS_URL: 'nats://127.0.0.1:1' });
    expect(await ok.exit).toBe(0);
    const final = JSON.parse(ok.out()) as ReplayStatus;
    expect(final).toMatchObject({ state: 'done', progress: 1, site_id: SITE });
    expect(ok.err()).toMatch(/\[#+\] 100% +[\d,]+ events +[\d,]+ ev\/s/);
    expect(await count(storage, ADMIN)).toBe(0);

    const denied = run(['--from', range.from, '--to', range.to], { QUERY_URL: url, ADMIN_TOKEN: 'wrong' });
    expect(await denied.exit).toBe(1);
    expect(denied.err()).toContain('unauthorized');
    expect(denied.err()).toContain(`POST ${url}/v1/admin/replays answered 401; check ADMIN_TOKEN`);
    const bad = run(['--from', range.to, '--to', range.from], { QUERY_URL: url, ADMIN_TOKEN: 'secret-token' });
    expect(await bad.exit).toBe(2);
  });
});

function rangeArgs(): string[] {
  const now = Date.now();
  return ['--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString()];
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** An HTTP server on a free loopback port, closed after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port };
}

async function storageKeys(kv: Awaited<ReturnType<ReturnType<NatsConnection['jetstream']>['views']['kv']>>): Promise<string[]> {
  const ids: string[] = [];
  for await (const k of await kv.keys('r.*')) ids.push(k.slice(2));
  return ids;
}

/** The two admin endpoints the query API wires to a ReplayManager, as the CLI expects them. */
function adminServer(m: ReplayManager, token: string): Server {
  return createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (err: unknown) => {
      const code = err instanceof AggregatorError ? err.code : 'internal';
      const status = code === 'replay_conflict' ? 409 : code === 'replay_not_found' ? 404 : code === 'invalid_range' ? 400 : 500;
      send(status, { error: { code, message: err instanceof Error ? err.message : String(err) } });
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: 'unauthorized', message: 'bad admin token' } });
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const id = /^\/v1\/admin\/replays\/([^/]+)$/.exec(req.url ?? '')?.[1];
      if (req.method === 'POST' && req.url === '/v1/admin/replays') {
        m.start(JSON.parse(body) as { from: string; to: string }).then((r) => send(202, r), fail);
      } else if (req.method === 'GET' && id) {
        m.get(decodeURIComponent(id)).then((s) => send(200, s), fail);
      } else send(404, { error: { code: 'not_found', message: 'no such route' } });
    });
  });
}
