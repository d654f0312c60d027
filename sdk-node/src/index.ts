export { Analytics } from './analytics.js';
export {
  DEFAULT_FLUSH_AT,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_MAX_QUEUE_SIZE,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_RETRIES,
  DEFAULT_BACKOFF_MIN_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_CLOSE_TIMEOUT_MS,
  MAX_BATCH_EVENTS,
  MAX_BATCH_BYTES,
  type AnalyticsOptions,
  type TransportKind,
} from './options.js';
export {
  PulseError,
  ConfigError,
  EventsRejectedError,
  DeliveryError,
  QueueOverflowError,
  ClosedError,
  type ServerReply,
} from './errors.js';
export type { AnalyticsEventMap, Listener } from './emitter.js';
export type {
  TrackEvent,
  PageviewEvent,
  QueuedEvent,
  PropValue,
  Revenue,
  Rejection,
  DeliveryInfo,
  RetryInfo,
  Stats,
  CloseResult,
} from './types.js';
export { SDK_VERSION } from './version.js';
