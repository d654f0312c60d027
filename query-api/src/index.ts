export { CACHE_INVALIDATE_SUBJECT, createQueryApi, DEFAULT_STOP_GRACE_MS, HTTP_SERVER_OPTIONS, type QueryApi, type QueryApiStartOptions } from './app.js';
export {
  DEFAULT_CACHE,
  DEFAULT_FRESHNESS_REFRESH_MS,
  DEFAULT_HOST,
  DEFAULT_KEY_CACHE_TTL_MS,
  DEFAULT_KV_REPLICAS,
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS,
  DEFAULT_TENANCY_STALE_MAX_MS,
  MIN_ADMIN_TOKEN_LENGTH,
  type QueryApiOptions,
  type ReplayAdmin,
} from './config.js';
export * from './errors.js';
export { READY_OUTAGE_TIMEOUT_MS, READY_TIMEOUT_MS } from './readiness-check.js';
export { jsonLogger, silentLogger, type Logger, type LogLevel } from './log.js';
export type { QueryStorage } from './storage.js';
export { KV_MERCHANT_SITES } from "@pulse/protocol";
export { KV_SITE_WRITE_KEYS } from './tenancy/write-key-index.js';
export { KV_MERCHANT_READ_KEYS } from './tenancy/read-key-index.js';
export { openApiDocument } from './openapi.js';
export { rateLimitFromEnv } from './main-config.js';
export type { RateLimitOptions } from './ratelimit.js';
export { METRICS, DIMENSIONS } from './query/catalog.js';
