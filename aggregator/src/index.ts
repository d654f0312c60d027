export { createAggregator, READY_NATS_TIMEOUT_MS, type Aggregator, type AggregatorState, type AggregatorStatus } from './aggregator.js';
export {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_BATCH_MAX_MESSAGES,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_LAG_REFRESH_MS,
  DEFAULT_MAX_ACK_PENDING,
  DEFAULT_PROCESS_METRICS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_STREAM_REPLICAS,
  type AggregatorOptions,
} from './config.js';
export { createStatusServer, handleStatusRequest, DEFAULT_AGGREGATOR_PORT, type StatusServer, type StatusServerOptions } from './status-server.js';
export { DEFAULT_STREAM_MAX_AGE_MS, DUPLICATE_WINDOW_MS, ensureStreams } from './streams.js';
export { jsonLogger, silentLogger, type Logger, type LogLevel } from './log.js';
export { saltKey, pruneSalts } from './salt.js';
export { AggregatorError, ConfigError, MigrationError, PoisonMessageError, StorageError } from './errors.js';
export { WATERMARK_KEY, DEFAULT_WATERMARK_MARGIN_MS, readWatermark, type Watermark } from './watermark.js';
export { KV_SESSIONS, SESSION_GAP_MS } from './sessions.js';
export { ReplayError, ReplayConflictError, ReplayNotFoundError } from './errors.js';
export {
  createReplayManager,
  parseReplayRequest,
  DEFAULT_REPLAY_BATCH_MESSAGES,
  DEFAULT_REPLAY_HEARTBEAT_MS,
  DEFAULT_REPLAY_STALE_AFTER_MS,
  DEFAULT_SWAP_ACK_TIMEOUT_MS,
  DEFAULT_SWAP_COPY_TTL_MS,
  DEFAULT_SWAP_FENCE_TTL_MS,
  REPLAY_SWAPPED_SUBJECT,
  type ReplayManager,
  type ReplayManagerOptions,
} from './replay/manager.js';
export { createReplayMetrics, REPLAY_END_STATES, type ReplayEndState, type ReplayMetrics } from './replay/metrics.js';
export type { ReplayRequest, ReplayStatus, ReplayState, ReplayPhase, ReplaySwappedEvent } from './replay/types.js';
export { KV_REPLAYS, KV_AGGREGATORS } from './fence.js';
export { ARCHIVE_TABLE } from './storage/schema-archive.js';
