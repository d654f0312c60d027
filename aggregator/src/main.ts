import { connect, type NatsConnection } from 'nats';
import { drainWithin, isConfigError, retryStart, within } from '@pulse/protocol';
import { createStartingServer } from '@pulse/protocol/starting-server';
import { createAggregator, type Aggregator } from './aggregator.js';
import { jsonLogger } from './log.js';
import { aggregatorMainConfig, type AggregatorMainConfig } from './main-config.js';
import { createStatusServer, type StatusServer } from './status-server.js';
import { createStorage } from './storage/index.js';

/**
 * Standalone aggregator. Env: NATS_URL (nats://127.0.0.1:4222, comma-separated for a cluster),
 * CLICKHOUSE_URL (+ CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER,
 * CLICKHOUSE_SHARDED) or else embedded chDB in DATA_DIR/clickhouse (DATA_DIR default ./data),
 * AGGREGATOR_PORT (8082), AGGREGATOR_HOST (0.0.0.0), STREAM_REPLICAS (1), EVENTS_TTL_DAYS (unset =
 * keep raw events).
 *
 * A wrong variable exits 2 at once, naming it. NATS (or a ClickHouse server) not answering at the
 * start is retried with backoff until it does; SIGTERM or SIGINT drains whatever is up and exits 0.
 * AGGREGATOR_PORT answers from the first moment: until NATS accepts the connection a placeholder
 * (`@pulse/protocol/starting-server`) says /healthz 200 and /readyz 503 `starting: …`, so a liveness
 * probe does not kill a process that is only waiting; then the status server takes over the same
 * listening socket (no moment where the port refuses) and /readyz reports the aggregator's own state.
 */
const logger = jsonLogger();

/** How long a first connect waits for a NATS server before the attempt fails (and is retried). */
const CONNECT_TIMEOUT_MS = 5_000;
/** On SIGTERM: how long an attempt under way may finish (so what it starts is stopped too), and the connection's drain. */
const STOP_WAIT_MS = 5_000;


async function main(): Promise<void> {
  let config: AggregatorMainConfig;
  try {
    config = aggregatorMainConfig(process.env);
  } catch (err) {
    logger.log('error', 'aggregator configuration error', { err });
    process.exit(2);
  }
  // chDB opens its data directory here, once: one that another process holds fails at once (exit 1),
  // since waiting would not free it. A ClickHouse server is first asked by the start, and retried.
  const storage = createStorage(config.clickhouse.storage);
  const c = config;
  // Answers on the port until NATS accepts the connection; the status server then takes it over.
  const starting = createStartingServer({ name: 'aggregator', metricsPrefix: 'pulse_aggregator', port: c.port, host: c.host, phase: 'connecting to NATS' });
  let port: number | undefined;
  let nats: NatsConnection | undefined;
  let aggregator: Aggregator | undefined;
  let status: StatusServer | undefined;
  let current: Promise<void> | undefined;
  let stopping = false;

  // Each attempt does what the ones before left undone: the connection, once made, reconnects by
  // itself, and an aggregator whose start failed is left new, to be started again.
  const attempt = async (): Promise<void> => {
    nats ??= await connect({ servers: c.natsServers, name: 'pulse-aggregator', maxReconnectAttempts: -1, timeout: CONNECT_TIMEOUT_MS, noAsyncTraces: true });
    aggregator ??= createAggregator({
      nats,
      storage,
      logger,
      // The process runs nothing else: its RSS, CPU and event loop are the aggregator's.
      defaultMetrics: true,
      streamReplicas: c.streamReplicas,
      ...(c.eventsTtlDays !== undefined ? { eventsTtlDays: c.eventsTtlDays } : {}),
      ...c.clickhouse.layout,
    });
    // Takes the placeholder's port before the aggregator's own start: /readyz then says 503 with the
    // aggregator's own state while that is retried.
    if (!status) {
      const s = createStatusServer({ aggregator, port: c.port, host: c.host });
      port = (await s.start({ takeOver: starting })).port;
      status = s;
    }
    if (stopping) throw new Error('stopping');
    await aggregator.start();
  };

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'draining', { signal });
    if (current) await within(current, STOP_WAIT_MS, () => new Error('start attempt still under way')).catch(() => undefined);
    // Still the placeholder's (NATS never accepted the connection): nothing else answers there.
    await starting.close();
    await aggregator?.stop().catch((err: unknown) => logger.log('error', 'aggregator stop failed', { err }));
    if (nats) await drainWithin(nats, STOP_WAIT_MS);
    await storage.close().catch(() => {});
    await status?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // A port another process holds fails here, at once (exit 1, naming the address).
  port = (await starting.start()).port;
  logger.log('info', 'aggregator starting', { port });
  let started: boolean;
  try {
    started = await retryStart({ name: 'aggregator', attempt: () => (current = starting.watch(attempt())), fatal: isConfigError, stopped: () => stopping, log: logger });
  } catch (err) {
    logger.log('error', 'aggregator configuration error', { err });
    process.exit(2);
  }
  if (started) logger.log('info', 'aggregator listening', { port, nats: c.natsServers.join(','), storage: storage.backend });
}

main().catch((err: unknown) => {
  logger.log('error', 'aggregator failed to start', { err });
  process.exit(1);
});
