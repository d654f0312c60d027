#!/usr/bin/env node
// `npm run cluster`: Pulse as a cluster on one machine (see examples/cluster/README.md).
import { resolve } from 'node:path';
import { NatsServerNotFoundError } from '@pulse/testkit';
import { startCluster } from './cluster.js';
import { HaproxyNotFoundError } from './errors.js';
import type { CollectorRuntime } from './options.js';

const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const list = (v: string | undefined) => (v ? v.split(',').map((p) => Number(p.trim())) : undefined);

try {
  const cluster = await startCluster({
    dataDir: resolve(env.DATA_DIR ?? './data-cluster'),
    host: env.HOST || undefined,
    lbPort: num(env.LB_PORT ?? env.COLLECTOR_PORT),
    queryPort: num(env.QUERY_PORT),
    collectorPorts: list(env.COLLECTOR_PORTS),
    aggregatorPorts: list(env.AGGREGATOR_PORTS),
    natsPorts: list(env.NATS_PORTS),
    natsRoutePorts: list(env.NATS_ROUTE_PORTS),
    lbStatsPort: num(env.LB_STATS_PORT),
    adminToken: env.ADMIN_TOKEN || undefined,
    collectorRuntime: (env.COLLECTOR_RUNTIME || undefined) as CollectorRuntime | undefined,
  });
  const lines = [
    '',
    'Pulse cluster is running (one machine, real parts):',
    `  ingest (HAProxy) ${cluster.ingestUrl}   POST /v1/batch → ${cluster.collectorUrls.join(', ')}`,
    `  query API        ${cluster.queryUrl}   POST /v1/query, admin under /v1/admin`,
    `  aggregators      ${cluster.aggregatorUrls.join(', ')}   /readyz, /metrics`,
    `  NATS (R3)        ${cluster.natsServers.join(',')}`,
    `  HAProxy stats    ${cluster.lbStatsUrl}`,
    // A token the operator chose stays out of the terminal (and whatever records it).
    `  admin token      ${cluster.adminTokenGenerated ? `${cluster.adminToken}   (generated; kept in $DATA_DIR/admin-token)` : 'the one in ADMIN_TOKEN'}`,
    `  logs             ${cluster.dataDir}/logs/`,
    'Press Ctrl-C to drain and stop.',
    '',
  ];
  process.stderr.write(lines.join('\n'));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(JSON.stringify({ level: 'info', service: 'cluster', msg: 'draining', signal, time: new Date().toISOString() }) + '\n');
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  if (err instanceof HaproxyNotFoundError || err instanceof NatsServerNotFoundError) process.stderr.write(`\n${err.message}\n\n`);
  else process.stderr.write(`\nThe cluster failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n\n`);
  process.exit(1);
}
