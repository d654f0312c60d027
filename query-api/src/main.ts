import { connect, type NatsConnection } from 'nats';
import { drainWithin, isConfigError, retryStart, within } from '@pulse/protocol';
import { createStartingServer } from '@pulse/protocol/starting-server';
import { createReplayManager, createReplayMetrics, type ReplayManager } from '@pulse/aggregator';
import { createStorage, type Storage } from '@pulse/aggregator/storage';
import { createQueryApi, HTTP_SERVER_OPTIONS, type QueryApi } from './app.js';
import { jsonLogger } from './log.js';
import { queryApiMainConfig, type QueryApiMainConfig } from './main-config.js';

/**
 * Standalone query API: `QUERY_PORT`, `QUERY_HOST`, `NATS_URL`, `CLICKHOUSE_*` (`clickhouseFromEnv`;
 * else chDB in `DATA_DIR`), `ADMIN_TOKEN`, `STATIC_DIR`, `NATS_KV_REPLICAS`,
 * `QUERY_TENANCY_STALE_MAX_MS` (how long confirmed read keys and sites keep answering from their
 * last known records while NATS is out of reach; default 10 minutes, 0 = never).
 *
 * A wrong variable exits 2 at once, naming it. NATS not answering at the start (no server yet, or
 * JetStream timing out during an election) is retried with backoff until it does; SIGTERM or
 * SIGINT drains whatever is up and exits 0. QUERY_PORT answers from the first moment: while the
 * start is retried a placeholder (`@pulse/protocol/starting-server`) says /healthz 200 and /readyz
 * 503 `starting: …` (every other path 503 with Retry-After), so a liveness probe does not kill a
 * process that is only waiting; the API takes over the same listening socket once started (no
 * moment where the port refuses).
 */
const log = jsonLogger();

/** How long a first connect waits for a NATS server before the attempt fails (and is retried). */
const CONNECT_TIMEOUT_MS = 5_000;
/** On SIGTERM: how long an attempt under way may finish (so what it starts is stopped too), and the connection's drain. */
const STOP_WAIT_MS = 5_000;


async function main(): Promise<void> {
  let config: QueryApiMainConfig;
  try {
    config = queryApiMainConfig(process.env);
  } catch (err) {
    log.log('error', 'query api configuration error', { err });
    process.exit(2);
  }
  // chDB opens its data directory here, once: one that another process holds fails at once (exit 1),
  // since waiting would not free it.
  const storage: Storage = createStorage(config.clickhouse.storage);
  const c = config;
  // Answers on the port while the start is retried; the API takes it over once started. Created with
  // the API's own node:http settings, which it keeps.
  const starting = createStartingServer({
    name: 'query api',
    metricsPrefix: 'pulse_query',
    port: c.port,
    host: c.host,
    phase: 'connecting to NATS',
    serverOptions: HTTP_SERVER_OPTIONS,
  });
  // The API's /metrics serves their registry: its own metrics and those of the replays this process runs.
  const replayMetrics = createReplayMetrics();
  let nats: NatsConnection | undefined;
  let replays: ReplayManager | undefined;
  let api: QueryApi | undefined;
  let current: Promise<void> | undefined;
  let stopping = false;

  // Each attempt does what the ones before left undone: the connection, once made, reconnects by
  // itself, and a start that failed leaves nothing behind, so the API is simply started again.
  const attempt = async (): Promise<void> => {
    nats ??= await connect({ servers: c.natsServers, name: 'pulse-query-api', maxReconnectAttempts: -1, timeout: CONNECT_TIMEOUT_MS, noAsyncTraces: true });
    // Replays started through this API run in this process (reading the stream, writing staging tables).
    replays ??= createReplayManager({ nats, storage, logger: log, metrics: replayMetrics });
    api ??= createQueryApi({
      nats,
      storage,
      adminToken: c.adminToken,
      port: c.port,
      host: c.host,
      ...(c.staticDir ? { staticDir: c.staticDir } : {}),
      ...(c.kvReplicas !== undefined ? { kvReplicas: c.kvReplicas } : {}),
      ...(c.tenancyStaleMaxMs !== undefined ? { tenancyStaleMaxMs: c.tenancyStaleMaxMs } : {}),
      ...(c.rateLimit ? { rateLimit: c.rateLimit } : {}),
      defaultMetrics: true,
      registry: replayMetrics.registry,
      logger: log,
      replays,
    });
    if (stopping) throw new Error('stopping');
    starting.phase('opening the tenancy buckets (NATS KV)');
    await api.start({ takeOver: starting });
  };

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'shutting down', { signal });
    if (current) await within(current, STOP_WAIT_MS, () => new Error('start attempt still under way')).catch(() => undefined);
    // Still the placeholder's when the API never started: nothing else answers there.
    await starting.close();
    await api?.stop();
    // Cancels replays still running here: live data stays untouched, their staging is dropped.
    await replays?.close().catch((err: unknown) => log.log('error', 'replay manager close failed', { err }));
    if (nats) await drainWithin(nats, STOP_WAIT_MS);
    await storage.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // A port another process holds fails here, at once (exit 1, naming the address).
  log.log('info', 'query api starting', { port: (await starting.start()).port });
  try {
    // The API says `query api listening` once started.
    await retryStart({ name: 'query api', attempt: () => (current = starting.watch(attempt())), fatal: isConfigError, stopped: () => stopping, log });
  } catch (err) {
    log.log('error', 'query api configuration error', { err });
    process.exit(2);
  }
}

main().catch((err: unknown) => {
  log.log('error', 'query api failed to start', { err });
  process.exit(1);
});
