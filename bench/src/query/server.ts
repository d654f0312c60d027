// The query benchmark's server process: chDB with a generated site, the query API on it, and the
// "same SQL straight against chDB" baseline. chDB binds its data directory to one process, so the
// load generator (the parent) talks to this one over HTTP and IPC.
import { join } from 'node:path';
import { connect } from 'nats';
import { WATERMARK_KEY } from '@pulse/aggregator';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { KV_STATE } from '@pulse/protocol';
import { createQueryApi, silentLogger } from '@pulse/query-api';
import { startNats } from '@pulse/testkit';
import { BenchFailedError } from '../lib/errors.js';
import { fmtInt, progress } from '../lib/progress.js';
import { benchDir } from '../lib/temp.js';
import { closedLoop } from '../lib/load.js';
import { startBareServer } from './bare.js';
import { insertChunkSql, type SiteData } from './generate.js';
import type { FromServer, ServerConfig, ToServer } from './ipc.js';

const ROLLUPS_READ = ['rollup_site_day', 'rollup_events_day', 'rollup_pages_day', 'rollup_paths_day', 'rollup_visits_day'];
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

const cfg = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const send = (m: FromServer) => process.send?.(m);
const log = (m: string) => progress('query-server', m);

interface Captured {
  sql: string;
  params: Record<string, unknown> | undefined;
  settings: Parameters<Storage['query']>[2];
}

/** Records what the API asks of storage while armed, so the baseline runs the very same SQL. */
function capturing(inner: Storage): { storage: Storage; arm(): void; disarm(): void; calls: Captured[] } {
  const calls: Captured[] = [];
  let armed = false;
  const storage: Storage = {
    backend: inner.backend,
    query: (sql, params, settings) => {
      if (armed) calls.push({ sql, params, settings });
      return inner.query(sql, params, settings);
    },
    command: (sql, params) => inner.command(sql, params),
    insert: (table, rows, opts) => inner.insert(table, rows, opts),
    settle: () => inner.settle(),
    exclusive: (fn) => inner.exclusive(fn),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  return {
    storage,
    arm() {
      calls.length = 0;
      armed = true;
    },
    disarm() {
      armed = false;
    },
    calls,
  };
}

async function admin<T>(base: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new BenchFailedError(`admin ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const dir = benchDir('query');
const nats = await startNats();
const inner = createStorage({ path: join(dir.path, 'clickhouse') });
const cap = capturing(inner);
const nc = await connect({ servers: nats.url, name: 'bench-query' });
const bare = await startBareServer();
const api = createQueryApi({
  nats: nc,
  storage: cap.storage,
  adminToken: ADMIN_TOKEN,
  port: 0,
  host: '127.0.0.1',
  logger: silentLogger,
  // One read key drives all 16 clients: the per-key limit would measure the limiter, not the reports.
  rateLimit: { perSecond: 1e9, burst: 1_000_000_000 },
});

async function shutdown(code: number): Promise<never> {
  await api.stop().catch(() => undefined);
  await bare.close().catch(() => undefined);
  await nc.close().catch(() => undefined);
  await inner.close().catch(() => undefined);
  await nats.cleanup().catch(() => undefined);
  dir.remove();
  process.exit(code);
}

process.on('message', (m: ToServer) => {
  void (async () => {
    if (m.type === 'invalidate') {
      api.invalidateCache();
      send({ type: 'invalidated' });
    } else if (m.type === 'arm') {
      cap.arm();
      send({ type: 'armed' });
    } else if (m.type === 'disarm') {
      cap.disarm();
      send({ type: 'disarmed' });
    } else if (m.type === 'bare') {
      bare.answerWith(m.body, m.etag);
      send({ type: 'bared' });
    } else if (m.type === 'baseline') {
      // A report may take more than one statement (a top list ranks its candidates first, a
      // comparison reads the other period). The API's schema probe (system tables, applied
      // migrations) and its fallback freshness (newest received_at) run on timers, not per report.
      const timers = ['system.', 'schema_migrations', 'max(received_at)'];
      const calls = cap.calls.filter((c) => !timers.some((t) => c.sql.includes(t)));
      // A report may read two tables (`events+rollup_visits_day`): each must be in a captured query.
      const unread = m.table.split('+').filter((t) => !calls.some((c) => c.sql.includes(t)));
      if (unread.length > 0) throw new BenchFailedError(`no captured query read ${unread.join(', ')}`);
      const { latenciesMs } = await closedLoop({
        concurrency: m.concurrency,
        durationMs: m.durationMs,
        run: async () => {
          for (const c of calls) await inner.query(c.sql, c.params, c.settings);
          return 'ok';
        },
      });
      send({ type: 'baseline', latenciesMs, sql: calls.map((c) => c.sql).join(';\n\n') });
    } else if (m.type === 'stop') {
      await shutdown(0);
    }
  })().catch((err: unknown) => {
    send({ type: 'error', message: String((err as Error)?.stack ?? err) });
  });
});
process.on('disconnect', () => void shutdown(1));

try {
  await migrate(inner);
  const { port } = await api.start();
  const base = `http://127.0.0.1:${port}`;
  const { merchant_id } = await admin<{ merchant_id: string }>(base, '/v1/admin/merchants', { name: 'Bench Shop' });
  const { site_id } = await admin<{ site_id: string }>(base, '/v1/admin/sites', { merchant_id, domain: 'shop.example', timezone: 'UTC' });
  const { read_key } = await admin<{ read_key: string }>(base, '/v1/admin/keys', { merchant_id });

  // History ends at the start of today (UTC): closed days, as a dashboard's "last 30 days" reads.
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const site: SiteData = {
    siteId: site_id,
    total: cfg.events,
    fromMs: today - cfg.days * 86_400_000,
    days: cfg.days,
    pages: 10_000,
    visitors: Math.max(1000, Math.round(cfg.events / 8)),
  };
  const t0 = performance.now();
  for (let start = 0; start < cfg.events; start += cfg.chunk) {
    const count = Math.min(cfg.chunk, cfg.events - start);
    await inner.command(insertChunkSql(site, start, count));
    const done = start + count;
    log(`generated ${fmtInt(done)} / ${fmtInt(cfg.events)} events (${fmtInt((done * 1000) / (performance.now() - t0))} events/s)`);
  }
  // A site with history has merged parts; a fresh bulk load would otherwise read dozens of parts.
  for (const t of ROLLUPS_READ) await inner.command(`OPTIMIZE TABLE ${t} FINAL`);
  const generateMs = performance.now() - t0;
  // What a caught-up aggregator publishes: everything is stored. Without it the API would treat
  // the newest day as possibly incomplete and cache it only briefly.
  const stateKv = await nc.jetstream().views.kv(KV_STATE, { history: 1 });
  const now = Date.now();
  await stateKv.put(WATERMARK_KEY, JSON.stringify({ complete_through: now, updated_at: now, ack_floor: 0 }));
  const [n] = await inner.query<{ n: number }>('SELECT count() AS n FROM events WHERE site_id = {s:String}', { s: site_id });
  if (Number(n?.n) !== cfg.events) throw new BenchFailedError(`generated ${String(n?.n)} events, expected ${cfg.events}`);
  const [v] = await inner.query<{ v: string }>('SELECT version() AS v');
  send({ type: 'ready', port, barePort: bare.port, readKey: read_key, siteId: site_id, fromMs: site.fromMs, days: cfg.days, generateMs, chdbVersion: v?.v ?? '' });
} catch (err) {
  send({ type: 'error', message: String((err as Error)?.stack ?? err) });
  await shutdown(1);
}
