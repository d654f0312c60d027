import { connect, type NatsConnection } from 'nats';
import { drainWithin, isConfigError, retryStart, within } from '@pulse/protocol';
import { createReplayManager, type ReplayManager } from '@pulse/aggregator';
import { createStorage, type Storage } from '@pulse/aggregator/storage';
import { createQueryApi, type QueryApi } from './app.js';
import { jsonLogger } from './log.js';
import { queryApiMainConfig, type QueryApiMainConfig } from './main-config.js';

/**
 * Standalone query API: `QUERY_PORT`, `QUERY_HOST`, `NATS_URL`, `CLICKHOUSE_*` (`clickhouseFromEnv`;
 * else chDB in `DATA_DIR`), `ADMIN_TOKEN`, `STATIC_DIR`, `NATS_KV_REPLICAS`.
 *
 * A wrong variable exits 2 at once, naming it. NATS not answering at the start (no server yet, or
 * JetStream timing out during an election) is retried with backoff until it does; SIGTERM or
 * SIGINT drains whatever is up and exits 0.
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
    replays ??= createReplayManager({ nats, storage, logger: log });
    api ??= createQueryApi({
      nats,
      storage,
      adminToken: c.adminToken,
      port: c.port,
      host: c.host,
      ...(c.staticDir ? { staticDir: c.staticDir } : {}),
      ...(c.kvReplicas !== undefined ? { kvReplicas: c.kvReplicas } : {}),
      defaultMetrics: true,
      logger: log,
      replays,
    });
    if (stopping) throw new Error('stopping');
    await api.start();
  };

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'shutting down', { signal });
    if (current) await within(current, STOP_WAIT_MS, () => new Error('start attempt still under way')).catch(() => undefined);
    await api?.stop();
    // Cancels replays still running here: live data stays untouched, their staging is dropped.
    await replays?.close().catch((err: unknown) => log.log('error', 'replay manager close failed', { err }));
    if (nats) await drainWithin(nats, STOP_WAIT_MS);
    await storage.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    // The API says `query api listening` once started.
    await retryStart({ name: 'query api', attempt: () => (current = attempt()), fatal: isConfigError, stopped: () => stopping, log });
  } catch (err) {
    log.log('error', 'query api configuration error', { err });
    process.exit(2);
  }
}

main().catch((err: unknown) => {
  log.log('error', 'query api failed to start', { err });
  process.exit(1);
});
