import { DEFAULT_QUERY_PORT, intVar, natsServersVar, type EnvVars } from '@pulse/protocol';
import { clickhouseFromEnv, type ClickHouseFromEnv } from '@pulse/aggregator/storage';
import { DEFAULT_HOST, MIN_ADMIN_TOKEN_LENGTH } from './config.js';
import { ConfigError } from './errors.js';
import type { RateLimitOptions } from './ratelimit.js';

/** The variables of the standalone process, as its main.ts hands them over. */
export type QueryApiEnv = EnvVars;

/** The standalone query API's settings (`main.ts`), checked before anything starts. */
export interface QueryApiMainConfig {
  adminToken: string;
  natsServers: string[];
  clickhouse: ClickHouseFromEnv;
  port: number;
  host: string;
  staticDir: string | undefined;
  /** Unset: the API's default (1). */
  kvReplicas: number | undefined;
  /** QUERY_TENANCY_STALE_MAX_MS; unset: the API's default (DEFAULT_TENANCY_STALE_MAX_MS, 10 minutes). */
  tenancyStaleMaxMs: number | undefined;
  /** `rateLimitFromEnv`; unset: the API's default (DEFAULT_RATE_LIMIT). */
  rateLimit: Partial<RateLimitOptions> | undefined;
}

/** The largest values the rate-limit variables accept; beyond them a limit is a typo, not a setting. */
export const MAX_RATE_LIMIT_PER_SEC = 1_000_000;
export const MAX_RATE_LIMIT_BURST = 10_000_000;

/**
 * Each read key's token bucket from QUERY_RATE_LIMIT_PER_SEC (requests a second) and
 * QUERY_RATE_LIMIT_BURST (requests at once); undefined when neither is set. Read by the standalone
 * query API and by `npm start`, which hosts one.
 */
export function rateLimitFromEnv(env: QueryApiEnv): Partial<RateLimitOptions> | undefined {
  const perSecond = intVar(env, 'QUERY_RATE_LIMIT_PER_SEC', 1, MAX_RATE_LIMIT_PER_SEC);
  const burst = intVar(env, 'QUERY_RATE_LIMIT_BURST', 1, MAX_RATE_LIMIT_BURST);
  if (perSecond === undefined && burst === undefined) return undefined;
  return { ...(perSecond !== undefined ? { perSecond } : {}), ...(burst !== undefined ? { burst } : {}) };
}

/**
 * The longest stale-tenancy window the variable accepts: a day. Revoked keys keep working from
 * their last known records for that long while NATS is out of reach, so a longer one is a typo.
 */
export const MAX_TENANCY_STALE_MAX_MS = 24 * 60 * 60_000;


/**
 * Reads and checks every variable of the standalone query API. A wrong one is a ConfigError (or
 * protocol's EnvVarError, the same `code` and `field`) naming it, so the process exits 2 at once, where NATS or ClickHouse not answering yet is retried.
 */
export function queryApiMainConfig(env: QueryApiEnv): QueryApiMainConfig {
  const adminToken = env.ADMIN_TOKEN ?? '';
  if (adminToken.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(adminToken)) {
    throw new ConfigError('ADMIN_TOKEN', `is required: at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 24)`);
  }
  const natsServers = natsServersVar(env);
  return {
    adminToken,
    natsServers,
    clickhouse: clickhouseFromEnv(env),
    port: intVar(env, 'QUERY_PORT', 0, 65_535) ?? DEFAULT_QUERY_PORT,
    host: env.QUERY_HOST || DEFAULT_HOST,
    staticDir: env.STATIC_DIR || undefined,
    kvReplicas: intVar(env, 'NATS_KV_REPLICAS', 1, 5),
    // 0: never answer from stale records (an outage fails tenancy lookups at once).
    tenancyStaleMaxMs: intVar(env, 'QUERY_TENANCY_STALE_MAX_MS', 0, MAX_TENANCY_STALE_MAX_MS),
    rateLimit: rateLimitFromEnv(env),
  };
}
