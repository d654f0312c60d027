import { DEFAULT_COLLECTOR_PORT } from '@pulse/protocol';
import type { CollectorOptions } from './config.js';
import { ConfigError } from './errors.js';
import { isLogLevel } from './log.js';
import type { LogLevel } from './core/types.js';

export const DEFAULT_COLLECTOR_HOST = '0.0.0.0';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_COLLECTOR_PROCESSES = 1;
export const MAX_COLLECTOR_PROCESSES = 256;
/** COLLECTOR_METRICS_PORT unset: no per-process metrics listener, /metrics only on the shared port. */
export const DEFAULT_METRICS_PORT: number | undefined = undefined;
export const MAX_TCP_PORT = 65535;

export interface EnvConfig {
  host: string;
  port: number;
  natsUrl: string;
  /** Path of the browser script to serve; undefined = look for @pulse/sdk-browser's build. */
  scriptFile: string | undefined;
  logLevel: LogLevel;
  /** Processes sharing the port (reusePort); 1 = just this one. */
  processes: number;
  /**
   * First port of the per-process listeners for /metrics, /healthz and /readyz: the primary
   * listens on it, worker n on it + n. Undefined = none.
   */
  metricsPort: number | undefined;
  collector: Partial<CollectorOptions>;
}

type Kind = 'int' | 'string' | 'list';

/** Optional environment variables → collector options (documented in README.md). */
export const ENV_OPTIONS: ReadonlyArray<[env: string, field: keyof CollectorOptions, kind: Kind]> = [
  ['COLLECTOR_PATH_PREFIX', 'pathPrefix', 'string'],
  ['COLLECTOR_MAX_BODY_BYTES', 'maxBodyBytes', 'int'],
  ['COLLECTOR_BODY_TIMEOUT_MS', 'bodyTimeoutMs', 'int'],
  ['COLLECTOR_MAX_EVENT_AGE_MS', 'maxEventAgeMs', 'int'],
  ['COLLECTOR_CORS_MAX_AGE_SEC', 'corsMaxAgeSec', 'int'],
  ['COLLECTOR_TRUSTED_PROXIES', 'trustedProxies', 'list'],
  ['COLLECTOR_COUNTRY_HEADER', 'countryHeader', 'string'],
  ['COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC', 'rateLimitEventsPerSec', 'int'],
  ['COLLECTOR_RATE_LIMIT_BURST', 'rateLimitBurst', 'int'],
  ['COLLECTOR_KEY_CACHE_MAX', 'keyCacheMax', 'int'],
  ['COLLECTOR_KEY_NEGATIVE_TTL_MS', 'keyNegativeTtlMs', 'int'],
  ['COLLECTOR_LINGER_MS', 'lingerMs', 'int'],
  ['COLLECTOR_MAX_MESSAGE_BYTES', 'maxMessageBytes', 'int'],
  ['COLLECTOR_MAX_INFLIGHT_PUBLISHES', 'maxInFlightPublishes', 'int'],
  ['COLLECTOR_MAX_QUEUED_BYTES', 'maxQueuedBytes', 'int'],
  ['COLLECTOR_MAX_BUFFERED_BODY_BYTES', 'maxBufferedBodyBytes', 'int'],
  ['COLLECTOR_PUBLISH_TIMEOUT_MS', 'publishTimeoutMs', 'int'],
  ['COLLECTOR_RETRY_AFTER_SEC', 'retryAfterSec', 'int'],
  ['COLLECTOR_DRAIN_TIMEOUT_MS', 'drainTimeoutMs', 'int'],
  ['COLLECTOR_INSTANCE_ID', 'instanceId', 'string'],
  ['NATS_STREAM_REPLICAS', 'streamReplicas', 'int'],
  ['NATS_STREAM_MAX_AGE_MS', 'streamMaxAgeMs', 'int'],
];

function intOf(name: string, v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(name, `must be a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v.trim());
}

/** Reads the collector's settings from an environment map; fails fast naming the variable. */
export function configFromEnv(env: Record<string, string | undefined>): EnvConfig {
  const collector: Record<string, unknown> = {};
  for (const [name, field, kind] of ENV_OPTIONS) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    collector[field] = kind === 'int' ? intOf(name, v) : kind === 'list' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v.trim();
  }
  if (typeof collector.countryHeader === 'string') collector.countryHeader = collector.countryHeader.toLowerCase();
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!isLogLevel(logLevel)) throw new ConfigError('LOG_LEVEL', 'must be debug, info, warn or error');
  const port = env.COLLECTOR_PORT ? intOf('COLLECTOR_PORT', env.COLLECTOR_PORT) : DEFAULT_COLLECTOR_PORT;
  if (port > MAX_TCP_PORT) throw new ConfigError('COLLECTOR_PORT', `must be ≤ ${MAX_TCP_PORT}`);
  const processes = env.COLLECTOR_PROCESSES ? intOf('COLLECTOR_PROCESSES', env.COLLECTOR_PROCESSES) : DEFAULT_COLLECTOR_PROCESSES;
  if (processes < 1 || processes > MAX_COLLECTOR_PROCESSES) throw new ConfigError('COLLECTOR_PROCESSES', `must be between 1 and ${MAX_COLLECTOR_PROCESSES}`);
  return {
    host: env.COLLECTOR_HOST || DEFAULT_COLLECTOR_HOST,
    processes,
    port,
    metricsPort: metricsPortOf(env.COLLECTOR_METRICS_PORT, port, processes),
    natsUrl: env.NATS_URL || DEFAULT_NATS_URL,
    scriptFile: env.COLLECTOR_SCRIPT_FILE || undefined,
    logLevel,
    collector: collector as Partial<CollectorOptions>,
  };
}

/**
 * The metrics ports are a range, one per process: it must fit below 65536 and miss the shared
 * port, or a process would fail to bind after the others started.
 */
function metricsPortOf(v: string | undefined, port: number, processes: number): number | undefined {
  if (v === undefined || v.trim() === '') return DEFAULT_METRICS_PORT;
  const first = intOf('COLLECTOR_METRICS_PORT', v);
  const last = first + processes - 1;
  if (first < 1 || last > MAX_TCP_PORT) {
    const range = processes > 1 ? ` (with COLLECTOR_PROCESSES=${processes} it takes ports up to ${last})` : '';
    throw new ConfigError('COLLECTOR_METRICS_PORT', `must be between 1 and ${MAX_TCP_PORT}${range}, got ${JSON.stringify(v)}`);
  }
  if (port >= first && port <= last) {
    throw new ConfigError('COLLECTOR_METRICS_PORT', `its ports ${first}–${last} (one per process) include COLLECTOR_PORT ${port}`);
  }
  return first;
}
