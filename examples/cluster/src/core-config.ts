import { join } from 'node:path';
import { NatsUrlError, parseNatsUrl } from '@pulse/protocol';
import { MIN_ADMIN_TOKEN_LENGTH } from '@pulse/query-api';
import { ClusterConfigError } from './errors.js';

/** The core process's settings (`core-main.ts`), checked before anything starts. */
export interface CoreConfig {
  adminToken: string;
  natsServers: string[];
  streamReplicas: number;
  kvReplicas: number;
  queryPort: number;
  queryHost: string;
  /** One status port per aggregator, and as many aggregators. */
  aggregatorPorts: number[];
  aggregatorHost: string;
  staticDir: string | undefined;
  storage: { url: string; username?: string; password?: string; database?: string } | { path: string };
  /** ClickHouse cluster for the migrations' `ON CLUSTER` DDL. */
  clickhouseCluster: string | undefined;
  /** Fault tests only: the file whose content says how storage fails. */
  storageFaultFile: string | undefined;
}

export type CoreEnv = Readonly<Record<string, string | undefined>>;

function port(name: string, raw: string): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new ClusterConfigError(name, 'must be a port number (0 to 65535)', JSON.stringify(raw));
  return n;
}

function int(env: CoreEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ClusterConfigError(name, `must be an integer from ${min} to ${max}`, JSON.stringify(raw));
  return n;
}

function natsUrl(raw: string | undefined): string[] {
  try {
    return parseNatsUrl(raw);
  } catch (err) {
    if (err instanceof NatsUrlError) throw new ClusterConfigError('NATS_URL', 'must be comma-separated nats://host:port URLs', JSON.stringify(err.entry), { cause: err });
    throw err;
  }
}

/**
 * Reads and checks every variable of the core process (see core-main.ts). A wrong one is a
 * ClusterConfigError naming it: the process exits 2 at once, where NATS or storage not answering
 * yet is retried.
 */
export function coreConfig(env: CoreEnv): CoreConfig {
  const adminToken = env.ADMIN_TOKEN ?? '';
  if (adminToken.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(adminToken)) {
    throw new ClusterConfigError('ADMIN_TOKEN', `is required: at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces`);
  }
  const natsServers = natsUrl(env.NATS_URL);
  const streamReplicas = int(env, 'STREAM_REPLICAS', 1, 1, 5);
  const rawPorts = env.AGGREGATOR_PORTS || '8082,8083';
  const aggregatorPorts = rawPorts.split(',').map((p) => port('AGGREGATOR_PORTS', p));
  return {
    adminToken,
    natsServers,
    streamReplicas,
    kvReplicas: int(env, 'NATS_KV_REPLICAS', streamReplicas, 1, 5),
    queryPort: env.QUERY_PORT ? port('QUERY_PORT', env.QUERY_PORT) : 8081,
    queryHost: env.QUERY_HOST || '0.0.0.0',
    aggregatorPorts,
    aggregatorHost: env.AGGREGATOR_HOST || '0.0.0.0',
    staticDir: env.STATIC_DIR || undefined,
    storage: env.CLICKHOUSE_URL
      ? {
          url: env.CLICKHOUSE_URL,
          ...(env.CLICKHOUSE_USER ? { username: env.CLICKHOUSE_USER } : {}),
          ...(env.CLICKHOUSE_PASSWORD ? { password: env.CLICKHOUSE_PASSWORD } : {}),
          ...(env.CLICKHOUSE_DATABASE ? { database: env.CLICKHOUSE_DATABASE } : {}),
        }
      : { path: join(env.DATA_DIR || './data', 'clickhouse') },
    clickhouseCluster: env.CLICKHOUSE_CLUSTER || undefined,
    storageFaultFile: env.PULSE_STORAGE_FAULT_FILE || undefined,
  };
}
