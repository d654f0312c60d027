import { connect } from 'nats';
import { createAggregator } from './aggregator.js';
import { ConfigError } from './errors.js';
import { jsonLogger } from './log.js';
import { DEFAULT_AGGREGATOR_PORT, createStatusServer } from './status-server.js';
import { clickhouseFromEnv, createStorage } from './storage/index.js';

/**
 * Standalone aggregator. Env: NATS_URL (nats://127.0.0.1:4222, comma-separated for a cluster),
 * CLICKHOUSE_URL (+ CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER,
 * CLICKHOUSE_SHARDED) or else embedded chDB in DATA_DIR/clickhouse (DATA_DIR default ./data),
 * AGGREGATOR_PORT (8082), AGGREGATOR_HOST (0.0.0.0), STREAM_REPLICAS (1), EVENTS_TTL_DAYS (unset =
 * keep raw events).
 */
const logger = jsonLogger();

function intEnv(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<void> {
  const env = process.env;
  const natsUrl = env.NATS_URL || 'nats://127.0.0.1:4222';
  const clickhouse = clickhouseFromEnv(env);
  const storage = createStorage(clickhouse.storage);
  // One KV request per visitor per batch: without async traces nats.js skips capturing two stack
  // traces per request (14–19 % of the aggregator's own CPU time in the benchmark's profiles).
  const nats = await connect({ servers: natsUrl.split(','), name: 'pulse-aggregator', maxReconnectAttempts: -1, noAsyncTraces: true });
  const aggregator = createAggregator({
    nats,
    storage,
    logger,
    streamReplicas: intEnv('STREAM_REPLICAS', 1),
    ...(env.EVENTS_TTL_DAYS ? { eventsTtlDays: intEnv('EVENTS_TTL_DAYS', 0) } : {}),
    ...clickhouse.layout,
  });
  const status = createStatusServer({
    aggregator,
    port: intEnv('AGGREGATOR_PORT', DEFAULT_AGGREGATOR_PORT),
    host: env.AGGREGATOR_HOST || '0.0.0.0',
  });
  const { port } = await status.start();
  await aggregator.start();
  logger.log('info', 'aggregator listening', { port, nats: natsUrl, storage: storage.backend });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log('info', 'draining', { signal });
    await aggregator.stop();
    await nats.drain().catch(() => {});
    await storage.close().catch(() => {});
    await status.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  logger.log('error', 'aggregator failed to start', { err });
  process.exit(1);
});
