#!/usr/bin/env node
// `npm run ddl -- [cluster] [--sharded] [--database name]`: prints the ClickHouse cluster DDL the
// aggregator applies (deploy/README.md); `--sharded` for local tables under Distributed ones.
import { parseArgs } from 'node:util';
import { clusterDdl } from './ddl.js';

try {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { sharded: { type: 'boolean' }, database: { type: 'string' } } });
  const cluster = positionals[0] ?? process.env.CLICKHOUSE_CLUSTER ?? 'pulse';
  const layout = { ...(values.sharded ? { sharded: true } : {}), ...(values.database !== undefined ? { database: values.database } : {}) };
  const statements = await clusterDdl(cluster, layout);
  process.stdout.write(`-- migrate(storage, ${JSON.stringify({ cluster, ...layout })}) from @pulse/aggregator: ${statements.length} statements\n\n`);
  process.stdout.write(statements.map((s) => `${s};\n`).join('\n'));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
