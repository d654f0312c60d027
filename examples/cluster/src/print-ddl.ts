#!/usr/bin/env node
// `npm run ddl -- [cluster]`: prints the ClickHouse cluster DDL the aggregator applies (deploy/README.md).
import { clusterDdl } from './ddl.js';

const cluster = process.argv[2] ?? process.env.CLICKHOUSE_CLUSTER ?? 'pulse';
try {
  const statements = await clusterDdl(cluster);
  process.stdout.write(`-- migrate(storage, { cluster: '${cluster}' }) from @pulse/aggregator: ${statements.length} statements\n\n`);
  process.stdout.write(statements.map((s) => `${s};\n`).join('\n'));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
