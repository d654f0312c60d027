import type { NatsConnection } from 'nats';
import { DEFAULT_PULL_MAX_BYTES } from './batch-reader.js';
import { DEFAULT_SCRUB_CHUNK_MESSAGES, DEFAULT_SCRUB_POLL_MS } from './archive-scrub.js';
import { ConfigError } from './errors.js';
import { jsonLogger, type Logger } from './log.js';
import type { Storage } from './storage/types.js';
import { DEFAULT_STREAM_MAX_AGE_MS } from './streams.js';
import { DEFAULT_WATERMARK_MARGIN_MS } from './watermark.js';

/**
 * Most messages one insert takes (each message is one collector group commit of at most a few
 * hundred events). nats.js pulls by count or by bytes, not both; count keeps inserts predictable.
 */
export const DEFAULT_BATCH_MAX_MESSAGES = 500;
/**
 * A batch is inserted when full or after this long, whichever comes first. A quarter of a second
 * keeps publish → queryable p99 under 2 s at half the sustained rate: as the sustained rate grew,
 * half a second gave p99 2.1–2.4 s at ~27,000 events/s and a quarter 1.8–2.0 s (seventh session;
 * a whole second gave 2.87 s at half today's rate in the third). It costs up to four inserts a
 * second while traffic flows; a backlog fills batches sooner, so throughput is unchanged.
 */
export const DEFAULT_FLUSH_INTERVAL_MS = 250;
/**
 * Unacked messages are redelivered after this; messages being prepared or stored are kept alive
 * with in-progress acks every third of it. It is also how long the messages a crashed aggregator
 * held wait before another one gets them.
 */
export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_ACK_PENDING = 20_000;
export const DEFAULT_STREAM_REPLICAS = 1;
export const DEFAULT_RETRY_INITIAL_MS = 250;
export const DEFAULT_RETRY_MAX_MS = 15_000;
/** A message JetStream delivered this often without being stored is set aside (EVENTS_DLQ). */
export const DEFAULT_MAX_DELIVERIES = 20;
/**
 * Lag metrics and the watermark (the query API's `complete_through`) are refreshed this often; each
 * refresh is a consumer info and a KV read or two, so a second keeps `complete_through` within about
 * the margin of the present at no real cost.
 */
export const DEFAULT_LAG_REFRESH_MS = 1000;
/**
 * Node's process metrics (RSS, CPU, event loop, GC) under `pulse_aggregator_`: off, because a
 * process hosting other services (embedded mode) exports them once already, through its query API.
 * The standalone aggregator's main turns them on.
 */
export const DEFAULT_PROCESS_METRICS = false;

export interface AggregatorOptions {
  nats: NatsConnection;
  storage: Storage;
  batchMaxMessages?: number;
  flushIntervalMs?: number;
  ackWaitMs?: number;
  maxAckPending?: number;
  pullMaxBytes?: number;
  streamMaxAgeMs?: number;
  streamReplicas?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Deliveries after which a message that was never stored goes to `EVENTS_DLQ` (default 20). */
  maxDeliveries?: number;
  /** Apply schema migrations in `start()` (default true); `cluster` renders ON CLUSTER DDL. */
  migrate?: boolean;
  cluster?: string;
  /** Local tables on each shard under Distributed ones (needs `cluster`); see ARCHITECTURE.md, "Cluster layouts". */
  sharded?: boolean;
  /** Database the Distributed tables point at (default `default`). */
  database?: string;
  /** Raw events TTL in days, applied by the migrations (unset = kept forever). */
  eventsTtlDays?: number;
  /** How far the watermark stays behind the oldest unfinished message (collector publish delay). */
  watermarkMarginMs?: number;
  /** How often lag is measured and the watermark published. */
  lagRefreshMs?: number;
  /**
   * What orders the stores (dedup + insert) of aggregators on one ClickHouse: `process` — those
   * sharing this Storage object (chDB: the only possible case); `nats` — also those in other
   * processes, through a lock in NATS KV (store-lock.ts). Default: `nats` on a ClickHouse server.
   */
  storeLock?: 'process' | 'nats';
  /**
   * Archive rows written before the archive kept no IPs are rewritten in the background after
   * `start()` (archive-scrub.ts): this many messages a chunk (default 500), and how often an
   * aggregator waiting for another's scrub looks again (default 5 s).
   */
  archiveScrubChunkMessages?: number;
  archiveScrubPollMs?: number;
  /** Node's default process metrics in `/metrics`, prefixed `pulse_aggregator_` (default false: see DEFAULT_PROCESS_METRICS). */
  defaultMetrics?: boolean;
  logger?: Logger;
}

export interface AggregatorConfig {
  nats: NatsConnection;
  storage: Storage;
  batchMaxMessages: number;
  flushIntervalMs: number;
  ackWaitMs: number;
  maxAckPending: number;
  pullMaxBytes: number;
  streamMaxAgeMs: number;
  streamReplicas: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxDeliveries: number;
  migrate: boolean;
  cluster: string | undefined;
  sharded: boolean;
  database: string | undefined;
  eventsTtlDays: number | undefined;
  watermarkMarginMs: number;
  lagRefreshMs: number;
  storeLock: 'process' | 'nats';
  archiveScrubChunkMessages: number;
  archiveScrubPollMs: number;
  defaultMetrics: boolean;
  logger: Logger;
}

function int(field: string, v: number | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(field, `must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

export function resolveConfig(o: AggregatorOptions): AggregatorConfig {
  if (!o || typeof o !== 'object') throw new ConfigError('options', 'an options object is required');
  if (!o.nats || typeof o.nats.jetstream !== 'function') throw new ConfigError('nats', 'a NatsConnection is required');
  if (!o.storage || typeof o.storage.insert !== 'function') throw new ConfigError('storage', 'a Storage is required');
  const cfg: AggregatorConfig = {
    nats: o.nats,
    storage: o.storage,
    batchMaxMessages: int('batchMaxMessages', o.batchMaxMessages, DEFAULT_BATCH_MAX_MESSAGES, 1, 100_000),
    flushIntervalMs: int('flushIntervalMs', o.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS, 100),
    ackWaitMs: int('ackWaitMs', o.ackWaitMs, DEFAULT_ACK_WAIT_MS, 1000),
    maxAckPending: int('maxAckPending', o.maxAckPending, DEFAULT_MAX_ACK_PENDING, 1),
    pullMaxBytes: int('pullMaxBytes', o.pullMaxBytes, DEFAULT_PULL_MAX_BYTES, 1024),
    streamMaxAgeMs: int('streamMaxAgeMs', o.streamMaxAgeMs, DEFAULT_STREAM_MAX_AGE_MS, 60_000),
    streamReplicas: int('streamReplicas', o.streamReplicas, DEFAULT_STREAM_REPLICAS, 1, 5),
    retryInitialMs: int('retryInitialMs', o.retryInitialMs, DEFAULT_RETRY_INITIAL_MS, 1),
    retryMaxMs: int('retryMaxMs', o.retryMaxMs, DEFAULT_RETRY_MAX_MS, 1),
    maxDeliveries: int('maxDeliveries', o.maxDeliveries, DEFAULT_MAX_DELIVERIES, 2),
    migrate: o.migrate ?? true,
    cluster: o.cluster,
    sharded: o.sharded ?? false,
    database: o.database,
    eventsTtlDays: o.eventsTtlDays === undefined ? undefined : int('eventsTtlDays', o.eventsTtlDays, 0, 1),
    watermarkMarginMs: int('watermarkMarginMs', o.watermarkMarginMs, DEFAULT_WATERMARK_MARGIN_MS, 0),
    lagRefreshMs: int('lagRefreshMs', o.lagRefreshMs, DEFAULT_LAG_REFRESH_MS, 100),
    storeLock: o.storeLock ?? (o.storage.backend === 'server' ? 'nats' : 'process'),
    archiveScrubChunkMessages: int('archiveScrubChunkMessages', o.archiveScrubChunkMessages, DEFAULT_SCRUB_CHUNK_MESSAGES, 1, 100_000),
    archiveScrubPollMs: int('archiveScrubPollMs', o.archiveScrubPollMs, DEFAULT_SCRUB_POLL_MS, 10),
    defaultMetrics: o.defaultMetrics ?? DEFAULT_PROCESS_METRICS,
    logger: o.logger ?? jsonLogger(),
  };
  if (cfg.storeLock !== 'process' && cfg.storeLock !== 'nats') {
    throw new ConfigError('storeLock', `must be 'process' or 'nats', got ${JSON.stringify(cfg.storeLock)}`);
  }
  if (typeof cfg.sharded !== 'boolean') throw new ConfigError('sharded', 'must be a boolean');
  if (typeof cfg.defaultMetrics !== 'boolean') throw new ConfigError('defaultMetrics', 'must be a boolean');
  if (cfg.sharded && cfg.cluster === undefined) throw new ConfigError('sharded', 'a sharded layout needs `cluster`');
  if (cfg.retryMaxMs < cfg.retryInitialMs) throw new ConfigError('retryMaxMs', 'must be >= retryInitialMs');
  if (cfg.maxAckPending < cfg.batchMaxMessages) {
    throw new ConfigError('maxAckPending', 'must be >= batchMaxMessages or a batch can never fill');
  }
  return cfg;
}
