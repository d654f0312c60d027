import { intVar, natsServersVar, type EnvVars } from '@pulse/protocol';
import { DEFAULT_AGGREGATOR_PORT } from './status-server.js';
import { clickhouseFromEnv, type ClickHouseFromEnv } from './storage/env.js';

/** The variables of the standalone process, as its main.ts hands them over. */
export type AggregatorEnv = EnvVars;

/** The standalone aggregator's settings (`main.ts`), checked before anything starts. */
export interface AggregatorMainConfig {
  natsServers: string[];
  clickhouse: ClickHouseFromEnv;
  port: number;
  host: string;
  streamReplicas: number;
  /** Unset: raw events are kept. */
  eventsTtlDays: number | undefined;
}

/**
 * Reads and checks every variable of the standalone aggregator. A wrong one is a ConfigError
 * (or protocol's EnvVarError, the same `code` and `field`) naming it, so the process exits 2 at once, where NATS or ClickHouse not answering yet is retried.
 */
export function aggregatorMainConfig(env: AggregatorEnv): AggregatorMainConfig {
  const natsServers = natsServersVar(env);
  return {
    natsServers,
    clickhouse: clickhouseFromEnv(env),
    port: intVar(env, 'AGGREGATOR_PORT', 0, 65_535) ?? DEFAULT_AGGREGATOR_PORT,
    host: env.AGGREGATOR_HOST || '0.0.0.0',
    streamReplicas: intVar(env, 'STREAM_REPLICAS', 1, 5) ?? 1,
    eventsTtlDays: intVar(env, 'EVENTS_TTL_DAYS', 1, 1_000_000),
  };
}
