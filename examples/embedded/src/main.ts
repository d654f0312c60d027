#!/usr/bin/env node
// `npm start`: the embedded default of DESIGN.md's operating contract.
import { fileURLToPath } from 'node:url';
import { rateLimitFromEnv } from '@pulse/query-api';
import { startEmbedded, type Embedded } from './embedded.js';
import { adminTokenText, resolveFromInvocation, startErrorReport, type SettingSources } from './launch.js';
import type { CollectorRuntime } from './options.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i !== -1) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const env = process.env;
const dashboardDir = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
const runtimeFlag = argValue('--collector-runtime');
const runtime = runtimeFlag ?? (env.COLLECTOR_RUNTIME || undefined);

// Which variable (or flag) set each option, to name it when the option is wrong.
const from = (name: string, raw = env[name]) => ({ name, ...(raw === undefined || raw === '' ? {} : { raw }) });
const sources: SettingSources = {
  dataDir: from('DATA_DIR'),
  collectorPort: from('COLLECTOR_PORT'),
  queryPort: from('QUERY_PORT'),
  aggregatorPort: from('AGGREGATOR_PORT'),
  natsPort: from('NATS_PORT'),
  host: from('HOST'),
  adminToken: { name: 'ADMIN_TOKEN' }, // never quoted back
  natsUrl: { name: 'NATS_URL' },
  clickhouseUrl: { name: 'CLICKHOUSE_URL' },
  collectorRuntime: runtimeFlag === undefined ? from('COLLECTOR_RUNTIME') : from('--collector-runtime', runtimeFlag),
};

let system: Embedded | undefined;
let pendingSignal: string | undefined;
let draining = false;
const note = (msg: string, signal: string) =>
  process.stdout.write(JSON.stringify({ level: 'info', service: 'embedded', msg, signal, time: new Date().toISOString() }) + '\n');
function drain(running: Embedded, signal: string): void {
  if (draining) return;
  draining = true;
  note('draining', signal);
  running.stop().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
function onSignal(signal: string): void {
  if (system) return drain(system, signal);
  // Still starting: stop as soon as everything is up (a start is not cut short halfway). A second
  // signal quits at once; the next start stops whatever this one leaves running.
  if (pendingSignal) process.exit(130);
  pendingSignal = signal;
  note('stopping once the start completes (signal again to quit at once)', signal);
}
// SIGHUP: the terminal closed; the children, in their own process groups, would not hear of it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));

try {
  system = await startEmbedded({
    // Relative to where `npm start` was typed (INIT_CWD), like any path a user gives.
    dataDir: resolveFromInvocation(env.DATA_DIR || './data', env.INIT_CWD, process.cwd()),
    collectorPort: num(env.COLLECTOR_PORT),
    queryPort: num(env.QUERY_PORT),
    aggregatorPort: num(env.AGGREGATOR_PORT),
    natsPort: num(env.NATS_PORT),
    host: env.HOST || undefined,
    adminToken: env.ADMIN_TOKEN || undefined,
    natsUrl: env.NATS_URL || undefined,
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    collectorRuntime: runtime as CollectorRuntime | undefined,
    dashboardDir,
    queryRateLimit: rateLimitFromEnv(env),
    // Ctrl-C reaches this process alone; it stops the children itself, after the drain.
    ownProcessGroups: true,
  });
} catch (err) {
  const known = startErrorReport(err, sources);
  if (known) process.stderr.write(`Pulse cannot start: ${known.line}\n`);
  else process.stderr.write(`\nPulse failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n\n`);
  process.exit(known?.exitCode ?? 1);
}

if (pendingSignal) drain(system, pendingSignal);
else {
  // The collector child reads the prefix from the same environment.
  const prefix = env.COLLECTOR_PATH_PREFIX ?? '';
  const banner = [
    '',
    'Pulse is running.',
    `  collector   ${system.collectorUrl}   (POST ${prefix}/v1/batch, GET ${prefix}/script.js)`,
    `  query API   ${system.queryUrl}   (POST /v1/query, admin under /v1/admin, dashboard at /)`,
    `  NATS        ${system.natsUrl}`,
    // A token the operator chose stays out of the terminal (and whatever records it).
    `  admin token ${adminTokenText(system.adminTokenSource, system.adminToken, system.adminTokenFile)}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stderr.write(banner.join('\n'));
}
