#!/usr/bin/env node
// `npm run cluster`: Pulse as a cluster on one machine (see examples/cluster/README.md).
import { adminTokenText, resolveFromInvocation, startErrorReport, type SettingSources } from '@pulse/embedded';
import { startCluster, type Cluster } from './cluster.js';
import type { CollectorRuntime } from './options.js';

const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const list = (v: string | undefined) => (v ? v.split(',').map((p) => Number(p.trim())) : undefined);
// LB_PORT, else COLLECTOR_PORT: the collectors' public address, as in the embedded mode.
const lbPortVar = env.LB_PORT ? 'LB_PORT' : env.COLLECTOR_PORT ? 'COLLECTOR_PORT' : 'LB_PORT';

// Which variable set each option, to name it when the option is wrong.
const from = (name: string) => ({ name, ...(env[name] ? { raw: env[name] } : {}) });
const sources: SettingSources = {
  dataDir: from('DATA_DIR'),
  host: from('HOST'),
  lbPort: from(lbPortVar),
  queryPort: from('QUERY_PORT'),
  collectorPorts: from('COLLECTOR_PORTS'),
  aggregatorPorts: from('AGGREGATOR_PORTS'),
  natsPorts: from('NATS_PORTS'),
  natsRoutePorts: from('NATS_ROUTE_PORTS'),
  lbStatsPort: from('LB_STATS_PORT'),
  adminToken: { name: 'ADMIN_TOKEN' }, // never quoted back
  collectorRuntime: from('COLLECTOR_RUNTIME'),
  ports: { name: 'LB_PORT, LB_STATS_PORT, QUERY_PORT, COLLECTOR_PORTS, AGGREGATOR_PORTS, NATS_PORTS and NATS_ROUTE_PORTS:' },
};

let cluster: Cluster | undefined;
let pendingSignal: string | undefined;
let draining = false;
const note = (msg: string, signal: string) =>
  process.stdout.write(JSON.stringify({ level: 'info', service: 'cluster', msg, signal, time: new Date().toISOString() }) + '\n');
function drain(running: Cluster, signal: string): void {
  if (draining) return;
  draining = true;
  note('draining', signal);
  running.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
function onSignal(signal: string): void {
  if (cluster) return drain(cluster, signal);
  // Still starting: stop as soon as everything is up (a start is not cut short halfway). A second
  // signal quits at once; the next start stops whatever this one leaves running.
  if (pendingSignal) process.exit(130);
  pendingSignal = signal;
  note('stopping once the start completes (signal again to quit at once)', signal);
}
// SIGHUP: the terminal closed; the services, in their own process groups, would not hear of it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));

try {
  cluster = await startCluster({
    // Relative to where `npm run cluster` was typed (INIT_CWD): npm runs this script in examples/cluster.
    dataDir: resolveFromInvocation(env.DATA_DIR || './data-cluster', env.INIT_CWD, process.cwd()),
    host: env.HOST || undefined,
    lbPort: num(env.LB_PORT || env.COLLECTOR_PORT),
    queryPort: num(env.QUERY_PORT),
    collectorPorts: list(env.COLLECTOR_PORTS),
    aggregatorPorts: list(env.AGGREGATOR_PORTS),
    natsPorts: list(env.NATS_PORTS),
    natsRoutePorts: list(env.NATS_ROUTE_PORTS),
    lbStatsPort: num(env.LB_STATS_PORT),
    adminToken: env.ADMIN_TOKEN || undefined,
    collectorRuntime: (env.COLLECTOR_RUNTIME || undefined) as CollectorRuntime | undefined,
    // Ctrl-C reaches this process alone; it stops the services itself, in order.
    ownProcessGroups: true,
  });
} catch (err) {
  const known = startErrorReport(err, sources);
  if (known) process.stderr.write(`The cluster cannot start: ${known.line}\n`);
  else process.stderr.write(`\nThe cluster failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n\n`);
  process.exit(known?.exitCode ?? 1);
}

if (pendingSignal) drain(cluster, pendingSignal);
else {
  const lines = [
    '',
    'Pulse cluster is running (one machine, real parts):',
    `  ingest (HAProxy) ${cluster.ingestUrl}   POST /v1/batch → ${cluster.collectorUrls.join(', ')}`,
    `  query API        ${cluster.queryUrl}   POST /v1/query, admin under /v1/admin`,
    `  aggregators      ${cluster.aggregatorUrls.join(', ')}   /readyz, /metrics`,
    `  NATS (R3)        ${cluster.natsServers.join(',')}`,
    `  HAProxy stats    ${cluster.lbStatsUrl}`,
    // A token the operator chose stays out of the terminal (and whatever records it).
    `  admin token      ${adminTokenText(cluster.adminTokenSource, cluster.adminToken, cluster.adminTokenFile)}`,
    `  data and logs    ${cluster.dataDir}, ${cluster.dataDir}/logs/`,
    'Press Ctrl-C to drain and stop.',
    '',
  ];
  process.stderr.write(lines.join('\n'));
}
