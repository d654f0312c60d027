export { startEmbedded, type Embedded } from './embedded.js';
export {
  resolveOptions,
  DEFAULT_HOST,
  DEFAULT_AGGREGATOR_PORT,
  DEFAULT_COLLECTOR_RUNTIME,
  DEFAULT_READY_TIMEOUT_MS,
  type EmbeddedOptions,
  type CollectorRuntime,
} from './options.js';
export { EmbeddedConfigError, ServiceStartError } from './errors.js';
export { loadAdminToken, ADMIN_TOKEN_FILE } from './admin-token.js';
export { packageDir, collectorEntry, bunBinary } from './packages.js';
