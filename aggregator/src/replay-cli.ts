import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { AggregatorError, ReplayConflictError } from './errors.js';
import { silentLogger } from './log.js';
import { queryApiTarget } from './replay/cli-target.js';
import { createReplayManager, parseReplayRequest } from './replay/manager.js';
import { renderProgress } from './replay/progress.js';
import type { ReplayStatus } from './replay/types.js';
import { clickhouseFromEnv, createStorage, migrate } from './storage/index.js';

/**
 * `npm run replay -- --from <ISO> --to <ISO> [--site <site_id>] [--batch <messages>]`
 *
 * Two ways to reach the data:
 * - QUERY_URL + ADMIN_TOKEN: through the query API's admin endpoints (required with the embedded
 *   chDB, whose data directory only the running service's process may open; with neither NATS_URL
 *   nor CLICKHOUSE_URL set, the embedded default's URL with ADMIN_TOKEN or DATA_DIR/admin-token);
 * - otherwise directly: NATS_URL (nats://127.0.0.1:4222) and CLICKHOUSE_URL (+ CLICKHOUSE_USER,
 *   CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE) or chDB in DATA_DIR/clickhouse (DATA_DIR ./data).
 * Progress goes to stderr, the final status as JSON to stdout. Exit 0 done, 1 failed,
 * 2 bad usage, 3 refused (an overlapping replay runs). Ctrl-C cancels a direct replay.
 */
const USAGE = `usage: replay --from <ISO-8601> --to <ISO-8601> [--site <site_id>] [--batch <messages>]

Through a running query API (needed while \`npm start\` holds the embedded data directory):
  QUERY_URL + ADMIN_TOKEN, or with neither NATS_URL nor CLICKHOUSE_URL set, the embedded default:
  http://127.0.0.1:$QUERY_PORT (8081) with ADMIN_TOKEN or the token in $DATA_DIR/admin-token.
Directly, in this process: NATS_URL (nats://127.0.0.1:4222) and CLICKHOUSE_URL, or chDB in
  $DATA_DIR/clickhouse when no service has it open.
Exit 0 done, 1 failed, 2 bad usage, 3 refused (an overlapping replay runs).`;
const POLL_MS = 500;

class UsageError extends Error {}
class HelpRequested extends Error {}

function options(): { from: string; to: string; site?: string; batch?: number } {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, to: { type: 'string' }, site: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) throw new HelpRequested(USAGE);
  if (!values.from || !values.to) throw new UsageError(`--from and --to are required\n${USAGE}`);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) throw new UsageError('--batch must be a positive integer');
  return { from: values.from, to: values.to, ...(values.site ? { site: values.site } : {}), ...(batch ? { batch } : {}) };
}

function progressPrinter(): { show(s: ReplayStatus): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  return {
    show(s) {
      const line = renderProgress(s);
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastLine >= 2000 || s.state !== 'running') {
        process.stderr.write(`${line}\n`);
        lastLine = Date.now();
      }
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

async function follow(get: () => Promise<ReplayStatus>): Promise<ReplayStatus> {
  const out = progressPrinter();
  for (;;) {
    const s = await get();
    out.show(s);
    if (s.state !== 'running') {
      out.end();
      return s;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function viaQueryApi(base: string, token: string, req: { from: string; to: string; site?: string }): Promise<ReplayStatus> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const url = base.replace(/\/+$/, '');
  const res = await fetch(`${url}/v1/admin/replays`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ from: req.from, to: req.to, ...(req.site ? { site_id: req.site } : {}) }),
  });
  const body = (await res.json().catch(() => ({}))) as { replay_id?: string; error?: { code?: string; message?: string } };
  if (!res.ok || typeof body.replay_id !== 'string') {
    const code = body.error?.code ?? `http_${res.status}`;
    const err = new AggregatorError(code, body.error?.message ?? `POST /v1/admin/replays answered ${res.status}`);
    throw res.status === 409 ? new ReplayConflictError('', err.message) : err;
  }
  const id = body.replay_id;
  process.on('SIGINT', () => {
    process.stderr.write(`\nthe replay ${id} goes on in the service; follow it at ${url}/v1/admin/replays/${id}\n`);
    process.exit(130);
  });
  return follow(async () => {
    const r = await fetch(`${url}/v1/admin/replays/${encodeURIComponent(id)}`, { headers });
    if (!r.ok) throw new AggregatorError(`http_${r.status}`, `GET /v1/admin/replays/${id} answered ${r.status}`);
    return (await r.json()) as ReplayStatus;
  });
}

async function direct(req: { from: string; to: string; site?: string; batch?: number }): Promise<ReplayStatus> {
  const env = process.env;
  const clickhouse = clickhouseFromEnv(env);
  let storage: ReturnType<typeof createStorage>;
  try {
    storage = createStorage(clickhouse.storage);
  } catch (err) {
    // chDB lets one process open a data directory, and `npm start` keeps it open.
    if (!('url' in clickhouse.storage)) {
      throw new AggregatorError(
        'data_dir_in_use',
        `could not open the chDB data directory; if a service (npm start) has it open, run the replay through its query API (QUERY_URL + ADMIN_TOKEN; see --help): ${(err as Error)?.message}`,
        { cause: err },
      );
    }
    throw err;
  }
  const nats = await connect({ servers: (env.NATS_URL || 'nats://127.0.0.1:4222').split(','), name: 'pulse-replay-cli' });
  try {
    await migrate(storage, clickhouse.layout);
    const manager = createReplayManager({ nats, storage, logger: silentLogger, ...(req.batch ? { batchMaxMessages: req.batch } : {}) });
    const { replay_id } = await manager.start({ from: req.from, to: req.to, ...(req.site ? { site_id: req.site } : {}) });
    process.on('SIGINT', () => {
      process.stderr.write('\ncancelling…\n');
      void manager.cancel(replay_id);
    });
    const status = await follow(() => manager.get(replay_id));
    await manager.close();
    return status;
  } finally {
    await nats.drain().catch(() => {});
    await storage.close().catch(() => {});
  }
}

async function main(): Promise<number> {
  let req: ReturnType<typeof options>;
  try {
    req = options();
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.message}\n`);
      return 0;
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  try {
    // Fail on a bad range before touching NATS or opening a data directory.
    parseReplayRequest({ from: req.from, to: req.to, ...(req.site ? { site_id: req.site } : {}) });
    const api = queryApiTarget(process.env, (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined));
    const status = api ? await viaQueryApi(api.url, api.token, req) : await direct(req);
    process.stdout.write(`${JSON.stringify(status)}\n`);
    return status.state === 'done' ? 0 : 1;
  } catch (err) {
    const code = err instanceof AggregatorError ? err.code : 'error';
    process.stderr.write(`replay: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (code === 'invalid_range') return 2;
    return err instanceof ReplayConflictError ? 3 : 1;
  }
}

main().then(
  (code) => process.exit(code),
  () => process.exit(1),
);
