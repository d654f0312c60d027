import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { DdlOptions } from './ddl.js';
import type { StorageOptions } from './types.js';

/** The CLICKHOUSE_* variables the services read, as their main.ts hands them over. */
export type ClickHouseEnv = Readonly<Record<string, string | undefined>>;

export interface ClickHouseFromEnv {
  storage: StorageOptions;
  /** How the schema is laid out (for `migrate` and the replays' staging tables). */
  layout: DdlOptions;
}

function flag(env: ClickHouseEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * CLICKHOUSE_URL (+ CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER,
 * CLICKHOUSE_SHARDED), else embedded chDB in `<DATA_DIR>/clickhouse` (DATA_DIR default ./data).
 * One reading for every service, so the aggregators, the query APIs and the replay CLI agree on
 * the layout.
 */
export function clickhouseFromEnv(env: ClickHouseEnv): ClickHouseFromEnv {
  const url = env.CLICKHOUSE_URL || undefined;
  const cluster = env.CLICKHOUSE_CLUSTER || undefined;
  const sharded = flag(env, 'CLICKHOUSE_SHARDED');
  const database = env.CLICKHOUSE_DATABASE || undefined;
  if (!url) {
    if (cluster || sharded) throw new ConfigError(cluster ? 'CLICKHOUSE_CLUSTER' : 'CLICKHOUSE_SHARDED', 'needs CLICKHOUSE_URL (embedded chDB is one node)');
    return { storage: { path: resolve(env.DATA_DIR || './data', 'clickhouse') }, layout: {} };
  }
  if (sharded && !cluster) throw new ConfigError('CLICKHOUSE_SHARDED', 'needs CLICKHOUSE_CLUSTER (the cluster the Distributed tables span)');
  return {
    storage: {
      url,
      ...(env.CLICKHOUSE_USER ? { username: env.CLICKHOUSE_USER } : {}),
      ...(env.CLICKHOUSE_PASSWORD ? { password: env.CLICKHOUSE_PASSWORD } : {}),
      ...(database ? { database } : {}),
      ...(sharded ? { sharded } : {}),
    },
    layout: { ...(cluster ? { cluster } : {}), ...(sharded ? { sharded } : {}), ...(database ? { database } : {}) },
  };
}
