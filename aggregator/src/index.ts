export { createAggregator, type Aggregator, type AggregatorState, type AggregatorStatus } from './aggregator.js';
export {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_BATCH_MAX_MESSAGES,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_LAG_REFRESH_MS,
  DEFAULT_MAX_ACK_PENDING,
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
