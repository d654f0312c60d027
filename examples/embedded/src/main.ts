#!/usr/bin/env node
// `npm start`: the embedded default of DESIGN.md's operating contract.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { NatsServerNotFoundError } from '@pulse/testkit';
import { startEmbedded } from './embedded.js';
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

try {
  const system = await startEmbedded({
    dataDir: resolve(env.DATA_DIR ?? './data'),
    collectorPort: num(env.COLLECTOR_PORT),
    queryPort: num(env.QUERY_PORT),
    aggregatorPort: num(env.AGGREGATOR_PORT),
    natsPort: num(env.NATS_PORT),
    host: env.HOST,
    adminToken: env.ADMIN_TOKEN || undefined,
    natsUrl: env.NATS_URL || undefined,
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    collectorRuntime: (argValue('--collector-runtime') ?? env.COLLECTOR_RUNTIME) as CollectorRuntime | undefined,
    dashboardDir,
  });
  // The collector child reads the prefix from the same environment.
  const prefix = env.COLLECTOR_PATH_PREFIX ?? '';
  const banner = [
    '',
    'Pulse is running.',
    `  collector   ${system.collectorUrl}   (POST ${prefix}/v1/batch, GET ${prefix}/script.js)`,
    `  query API   ${system.queryUrl}   (POST /v1/query, admin under /v1/admin, dashboard at /)`,
    `  NATS        ${system.natsUrl}`,
    // A token the operator chose stays out of the terminal (and whatever records it).
    `  admin token ${system.adminTokenGenerated ? `${system.adminToken}   (generated; kept in $DATA_DIR/admin-token)` : 'the one in ADMIN_TOKEN'}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stderr.write(banner.join('\n'));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(JSON.stringify({ level: 'info', service: 'embedded', msg: 'draining', signal, time: new Date().toISOString() }) + '\n');
    system.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  if (err instanceof NatsServerNotFoundError) process.stderr.write(`\n${err.message}\n\n`);
  else process.stderr.write(`\nPulse failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n\n`);
  process.exit(1);
}
