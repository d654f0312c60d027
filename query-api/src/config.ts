import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import type { ReplayManager } from '@pulse/aggregator';
import { ConfigError } from './errors.js';
import type { Logger } from './log.js';
import type { QueryStorage } from './storage.js';
import type { RateLimitOptions } from './ratelimit.js';
import type { CacheOptions } from './cache.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/respond.js';
import { DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS, DEFAULT_TENANCY_STALE_MAX_MS } from './tenancy/lookup-cache.js';

export { DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS, DEFAULT_TENANCY_STALE_MAX_MS };

export const DEFAULT_HOST = '0.0.0.0';
/** How long a key or site lookup is trusted: a revoked key stops working within this. */
export const DEFAULT_KEY_CACHE_TTL_MS = 1000;
export const DEFAULT_KV_REPLICAS = 1;
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 20, burst: 100 };
export const DEFAULT_CACHE: CacheOptions = { maxEntries: 10_000, liveTtlMs: 5_000, closedTtlMs: 10 * 60_000, liveWindowMs: 2 * 3_600_000 };
/** ClickHouse stops a report after this (`max_execution_time`); the client gets 504. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
export const DEFAULT_FRESHNESS_REFRESH_MS = 2_000;
/** How often the live schema (columns, rollup tables) is re-read. */
export const DEFAULT_SCHEMA_REFRESH_MS = 30_000;
/** Sites listed by `GET /v1/sites` at most. */
export const DEFAULT_MAX_SITES_LISTED = 10_000;
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** What the replay admin endpoints need of `createReplayManager(...)` from `@pulse/aggregator`. */
export type ReplayAdmin = Pick<ReplayManager, 'start' | 'get' | 'cancel' | 'onSwapped'>;

export interface QueryApiOptions {
  nats: NatsConnection;
  /** A Storage from `@pulse/aggregator/storage` (only `query` and `ping` are used). */
  storage: QueryStorage;
  adminToken: string;
  port: number;
  host?: string;
  /** The dashboard build, served at `/` (index.html for `/` and unknown non-API paths). */
  staticDir?: string;
  logger?: Logger;
  kvReplicas?: number;
  keyCacheTtlMs?: number;
  /**
   * While NATS is out of reach, a read key or site confirmed within this long is still accepted from
   * its last known good record (stale-if-error); unknown ones get 503. 0 turns it off.
   */
  tenancyStaleMaxMs?: number;
  /** How long a lookup that has such a record to fall back on waits for NATS first. */
  tenancyLookupTimeoutMs?: number;
  rateLimit?: Partial<RateLimitOptions>;
  cache?: Partial<CacheOptions>;
  queryTimeoutMs?: number;
  maxBodyBytes?: number;
  freshnessRefreshMs?: number;
  schemaRefreshMs?: number;
  /** Node's default process metrics in `/metrics` (off when several instances share a process). */
  defaultMetrics?: boolean;
  /**
   * The registry `/metrics` serves, with this API's metrics registered on it. Pass one that other
   * parts of the process register on too (`createReplayMetrics(registry)` of the replay manager) to
   * serve theirs as well; one registry per query API. Default: a registry of its own.
   */
  registry?: Registry;
  /** The clock (tests pin it to make relative ranges deterministic). */
  now?: () => number;
  /**
   * Serves `/v1/admin/replays` (503 `replays_unavailable` without it) and empties the answer cache
   * whenever a replay, of this process or another, swapped data in. The caller closes it.
   */
  replays?: ReplayAdmin;
}

export type ResolvedOptions = Required<Omit<QueryApiOptions, 'staticDir' | 'logger' | 'rateLimit' | 'cache' | 'replays'>> & {
  staticDir: string | undefined;
  replays: ReplayAdmin | undefined;
  logger: Logger | undefined;
  rateLimit: RateLimitOptions;
  cache: CacheOptions;
};

function positive(field: string, v: number | undefined, fallback: number, opts: { integer?: boolean; min?: number } = {}): number {
  if (v === undefined) return fallback;
  const min = opts.min ?? 1;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (opts.integer && !Number.isInteger(v))) {
    throw new ConfigError(field, `must be a${opts.integer ? 'n integer' : ' number'} >= ${min}`);
  }
  return v;
}

/** Validates every option in one place and fills the defaults; throws ConfigError naming the field. */
export function resolveOptions(o: QueryApiOptions): ResolvedOptions {
  if (!o || typeof o !== 'object') throw new ConfigError('options', 'an options object is required');
  if (!o.nats || typeof (o.nats as { jetstream?: unknown }).jetstream !== 'function') throw new ConfigError('nats', 'a NatsConnection is required');
  if (!o.storage || typeof o.storage.query !== 'function' || typeof o.storage.ping !== 'function') {
    throw new ConfigError('storage', 'a Storage with query() and ping() is required');
  }
  if (typeof o.adminToken !== 'string' || o.adminToken.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(o.adminToken)) {
    throw new ConfigError('adminToken', `must be a string of at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces`);
  }
  const port = positive('port', o.port, Number.NaN, { integer: true, min: 0 });
  if (Number.isNaN(port) || port > 65535) throw new ConfigError('port', 'must be an integer from 0 to 65535');
  if (o.staticDir !== undefined && (typeof o.staticDir !== 'string' || o.staticDir === '')) {
    throw new ConfigError('staticDir', 'must be a directory path');
  }
  if (o.registry !== undefined) {
    const r = o.registry as Partial<Record<'metrics' | 'registerMetric', unknown>> | null;
    if (typeof r?.metrics !== 'function' || typeof r.registerMetric !== 'function') throw new ConfigError('registry', 'must be a prom-client Registry');
  }
  if (o.replays !== undefined) {
    const r = o.replays as Partial<Record<keyof ReplayAdmin, unknown>> | null;
    const missing = (['start', 'get', 'cancel', 'onSwapped'] as const).find((m) => typeof r?.[m] !== 'function');
    if (missing) throw new ConfigError('replays', `must be a ReplayManager (no ${missing}())`);
  }
  const rl = { ...DEFAULT_RATE_LIMIT, ...o.rateLimit };
  const cache = { ...DEFAULT_CACHE, ...o.cache };
  return {
    nats: o.nats,
    storage: o.storage,
    adminToken: o.adminToken,
    port,
    host: o.host ?? DEFAULT_HOST,
    staticDir: o.staticDir,
    logger: o.logger,
    replays: o.replays,
    kvReplicas: positive('kvReplicas', o.kvReplicas, DEFAULT_KV_REPLICAS, { integer: true }),
    keyCacheTtlMs: positive('keyCacheTtlMs', o.keyCacheTtlMs, DEFAULT_KEY_CACHE_TTL_MS),
    tenancyStaleMaxMs: positive('tenancyStaleMaxMs', o.tenancyStaleMaxMs, DEFAULT_TENANCY_STALE_MAX_MS, { min: 0 }),
    tenancyLookupTimeoutMs: positive('tenancyLookupTimeoutMs', o.tenancyLookupTimeoutMs, DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS),
    rateLimit: {
      perSecond: positive('rateLimit.perSecond', rl.perSecond, DEFAULT_RATE_LIMIT.perSecond),
      burst: positive('rateLimit.burst', rl.burst, DEFAULT_RATE_LIMIT.burst, { integer: true }),
    },
    cache: {
      maxEntries: positive('cache.maxEntries', cache.maxEntries, DEFAULT_CACHE.maxEntries, { integer: true }),
      liveTtlMs: positive('cache.liveTtlMs', cache.liveTtlMs, DEFAULT_CACHE.liveTtlMs),
      closedTtlMs: positive('cache.closedTtlMs', cache.closedTtlMs, DEFAULT_CACHE.closedTtlMs),
      liveWindowMs: positive('cache.liveWindowMs', cache.liveWindowMs, DEFAULT_CACHE.liveWindowMs, { min: 0 }),
    },
    queryTimeoutMs: positive('queryTimeoutMs', o.queryTimeoutMs, DEFAULT_QUERY_TIMEOUT_MS),
    maxBodyBytes: positive('maxBodyBytes', o.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, { integer: true }),
    freshnessRefreshMs: positive('freshnessRefreshMs', o.freshnessRefreshMs, DEFAULT_FRESHNESS_REFRESH_MS),
    schemaRefreshMs: positive('schemaRefreshMs', o.schemaRefreshMs, DEFAULT_SCHEMA_REFRESH_MS),
    defaultMetrics: o.defaultMetrics ?? false,
    registry: o.registry ?? new Registry(),
    now: o.now ?? Date.now,
  };
}
