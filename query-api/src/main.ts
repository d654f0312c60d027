import { connect } from 'nats';
import { DEFAULT_QUERY_PORT } from '@pulse/protocol';
import { createReplayManager } from '@pulse/aggregator';
import { clickhouseFromEnv, createStorage, type Storage } from '@pulse/aggregator/storage';
import { createQueryApi } from './app.js';
import { MIN_ADMIN_TOKEN_LENGTH } from './config.js';
import { jsonLogger } from './log.js';

/** Standalone query API: `QUERY_PORT`, `QUERY_HOST`, `NATS_URL`, `CLICKHOUSE_*` (`clickhouseFromEnv`; else chDB in `DATA_DIR`), `ADMIN_TOKEN`. */
async function main(): Promise<void> {
  const log = jsonLogger();
  const env = process.env;
  const adminToken = env.ADMIN_TOKEN;
  if (!adminToken || adminToken.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(adminToken)) {
    log.log('error', `ADMIN_TOKEN is required: at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 24)`);
    process.exit(2);
  }
  const port = Number(env.QUERY_PORT ?? DEFAULT_QUERY_PORT);
  const nats = await connect({ servers: (env.NATS_URL ?? 'nats://127.0.0.1:4222').split(','), name: 'pulse-query-api', maxReconnectAttempts: -1, noAsyncTraces: true });
  const storage: Storage = createStorage(clickhouseFromEnv(env).storage);
  // Replays started through this API run in this process (reading the stream, writing staging tables).
  const replays = createReplayManager({ nats, storage, logger: log });
  const api = createQueryApi({
    nats,
    storage,
    adminToken,
    port,
    host: env.QUERY_HOST ?? '0.0.0.0',
    ...(env.STATIC_DIR ? { staticDir: env.STATIC_DIR } : {}),
    ...(env.NATS_KV_REPLICAS ? { kvReplicas: Number(env.NATS_KV_REPLICAS) } : {}),
    defaultMetrics: true,
    logger: log,
    replays,
  });
  await api.start();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'shutting down', { signal });
    await api.stop();
    // Cancels replays still running here: live data stays untouched, their staging is dropped.
    await replays.close().catch((err: unknown) => log.log('error', 'replay manager close failed', { err }));
    await nats.drain().catch(() => {});
    await storage.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'query api failed to start', time: new Date().toISOString(), error: String(err) })}\n`);
  process.exit(1);
});
