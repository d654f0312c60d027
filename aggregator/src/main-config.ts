import { NatsUrlError, parseNatsUrl } from '@pulse/protocol';
import { ConfigError } from './errors.js';
import { DEFAULT_AGGREGATOR_PORT } from './status-server.js';
import { clickhouseFromEnv, type ClickHouseFromEnv } from './storage/env.js';

/** The variables of the standalone process, as its main.ts hands them over. */
export type AggregatorEnv = Readonly<Record<string, string | undefined>>;

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

function int(env: AggregatorEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Reads and checks every variable of the standalone aggregator. A wrong one is a ConfigError
 * naming it, so the process exits 2 at once, where NATS or ClickHouse not answering yet is retried.
 */
export function aggregatorMainConfig(env: AggregatorEnv): AggregatorMainConfig {
  let natsServers: string[];
  try {
    natsServers = parseNatsUrl(env.NATS_URL);
  } catch (err) {
    if (err instanceof NatsUrlError) throw new ConfigError('NATS_URL', err.message);
    throw err;
  }
  return {
    natsServers,
    clickhouse: clickhouseFromEnv(env),
    port: int(env, 'AGGREGATOR_PORT', 0, 65_535) ?? DEFAULT_AGGREGATOR_PORT,
    host: env.AGGREGATOR_HOST || '0.0.0.0',
    streamReplicas: int(env, 'STREAM_REPLICAS', 1, 5) ?? 1,
    eventsTtlDays: int(env, 'EVENTS_TTL_DAYS', 1, 1_000_000),
  };
}
