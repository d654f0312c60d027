#!/usr/bin/env node
/**
 * The "core" process of the one-machine cluster: N aggregators on the shared durable consumer and
 * the query API, over ONE storage. chDB opens a data path from one process only, so with chDB
 * everything that touches ClickHouse lives here; with CLICKHOUSE_URL the same services would run as
 * separate processes (aggregator/dist/main.js, query-api/dist/main.js) on separate machines.
 *
 * Env: NATS_URL (comma-separated), DATA_DIR (chDB in $DATA_DIR/clickhouse) or CLICKHOUSE_URL
 * (+ CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER), ADMIN_TOKEN,
 * QUERY_PORT (8081), QUERY_HOST / AGGREGATOR_HOST (0.0.0.0), AGGREGATOR_PORTS (8082,8083: one
 * status port per aggregator, and as many aggregators), STREAM_REPLICAS and NATS_KV_REPLICAS (1),
 * STATIC_DIR, PULSE_STORAGE_FAULT_FILE (fault tests only).
 */
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { createAggregator, createStatusServer, jsonLogger, type Aggregator, type StatusServer } from '@pulse/aggregator';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { createQueryApi, jsonLogger as queryLogger } from '@pulse/query-api';
import { withStorageFaults } from './faulty-storage.js';

const env = process.env;
const write = (service: string) => (line: string) => process.stdout.write(line.replace(/^\{/, `{"service":"${service}",`));
const log = jsonLogger(write('core'));

function int(name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

function portList(name: string, dflt: number[]): number[] {
  const raw = env[name];
  if (!raw) return dflt;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) throw new Error(`${name}: must be a comma-separated list of ports`);
  return list;
}

function openStorage(): Storage {
  const base = env.CLICKHOUSE_URL
    ? createStorage({
        url: env.CLICKHOUSE_URL,
        ...(env.CLICKHOUSE_USER ? { username: env.CLICKHOUSE_USER } : {}),
        ...(env.CLICKHOUSE_PASSWORD ? { password: env.CLICKHOUSE_PASSWORD } : {}),
        ...(env.CLICKHOUSE_DATABASE ? { database: env.CLICKHOUSE_DATABASE } : {}),
      })
    : createStorage({ path: join(env.DATA_DIR || './data', 'clickhouse') });
  return env.PULSE_STORAGE_FAULT_FILE ? withStorageFaults(base, env.PULSE_STORAGE_FAULT_FILE) : base;
}

async function main(): Promise<void> {
  const adminToken = env.ADMIN_TOKEN;
  if (!adminToken) throw new Error('ADMIN_TOKEN is required');
  const servers = (env.NATS_URL || 'nats://127.0.0.1:4222').split(',');
  const replicas = int('STREAM_REPLICAS', 1);
  const kvReplicas = int('NATS_KV_REPLICAS', replicas);
  const aggregatorPorts = portList('AGGREGATOR_PORTS', [8082, 8083]);
  const storage = openStorage();
  const cluster = env.CLICKHOUSE_CLUSTER || undefined;
  // Before the query API: its schema probe should find the tables on its first look.
  const { applied } = await migrate(storage, cluster ? { cluster } : {});
  log.log('info', 'schema ready', { backend: storage.backend, applied });
  // One connection per service, as if each ran on its own machine.
  const connections: NatsConnection[] = [];
  const natsFor = async (name: string) => {
    const nc = await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true });
    connections.push(nc);
    return nc;
  };

  // The query API first: it creates the tenancy buckets with kvReplicas before anyone else can
  // create them with the default replica count.
  const query = createQueryApi({
    nats: await natsFor('pulse-query-api'),
    storage,
    adminToken,
    port: int('QUERY_PORT', 8081),
    host: env.QUERY_HOST || '0.0.0.0',
    kvReplicas,
    defaultMetrics: true,
    logger: queryLogger(write('query-api')),
    ...(env.STATIC_DIR ? { staticDir: env.STATIC_DIR } : {}),
  });

  const aggregators: Aggregator[] = [];
  const statusServers: StatusServer[] = [];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'draining', { signal });
    await query.stop().catch((err: unknown) => log.log('error', 'query api stop failed', { err }));
    await Promise.all(aggregators.map((a) => a.stop().catch((err: unknown) => log.log('error', 'aggregator stop failed', { err }))));
    await Promise.all(connections.map((nc) => nc.drain().catch(() => {})));
    await Promise.all(statusServers.map((s) => s.stop().catch(() => {})));
    await storage.close().catch(() => {});
    log.log('info', 'stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const { port: queryPort } = await query.start();
  for (const [i, port] of aggregatorPorts.entries()) {
    const aggregator = createAggregator({
      nats: await natsFor(`pulse-aggregator-${i + 1}`),
      storage,
      streamReplicas: replicas,
      logger: jsonLogger(write(`aggregator-${i + 1}`)),
      migrate: false,
    });
    // Sequential: the first one creates the streams and the consumer; the next find them.
    await aggregator.start();
    aggregators.push(aggregator);
    const status = createStatusServer({ aggregator, port, host: env.AGGREGATOR_HOST || '0.0.0.0' });
    await status.start();
    statusServers.push(status);
  }
  log.log('info', 'core ready', { query_port: queryPort, aggregators: aggregators.length, aggregator_ports: aggregatorPorts, storage: storage.backend, nats: servers });
}

main().catch((err: unknown) => {
  log.log('error', 'core failed to start', { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  process.exit(1);
});
