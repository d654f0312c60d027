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
export { EmbeddedConfigError, ServiceStartError, PortInUseError, DataDirBusyError } from './errors.js';
export { loadAdminToken, ADMIN_TOKEN_FILE, type AdminTokenSource, type LoadedAdminToken } from './admin-token.js';
export { packageDir, collectorEntry, bunBinary } from './packages.js';
export { claimRunDir, RUN_DIR, type RunDir, type ClaimOptions } from './run-dir.js';
export { assertPortsFree, type PortUse } from './ports-free.js';
export { adminTokenText, resolveFromInvocation, startErrorReport, type SettingSource, type SettingSources } from './launch.js';
export { hostProblem, type HostProblem } from './host-check.js';
export { supervise, SUPERVISE_INTERVAL_MS, type Supervised, type Supervisor, type SuperviseOptions } from './supervisor.js';
