export { startCluster, NATS_CLUSTER_NAME, type Cluster } from './cluster.js';
export {
  resolveClusterOptions,
  DEFAULT_HOST,
  DEFAULT_LB_PORT,
  DEFAULT_LB_STATS_PORT,
  DEFAULT_QUERY_PORT,
  DEFAULT_AGGREGATOR_PORTS,
  DEFAULT_COLLECTOR_PORTS,
  DEFAULT_NATS_PORTS,
  DEFAULT_NATS_ROUTE_PORTS,
  DEFAULT_REPLICAS,
  DEFAULT_COLLECTOR_RUNTIME,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_STOP_GRACE_MS,
  type ClusterOptions,
  type CollectorRuntime,
} from './options.js';
export { createServiceProcess, type ServiceProcess, type ServiceSpec } from './process.js';
export { findHaproxy, haproxyConfig, type HaproxyConfigInput } from './haproxy.js';
export { withStorageFaults, readFaultMode, type StorageFaultMode } from './faulty-storage.js';
export { ClusterConfigError, HaproxyNotFoundError, ServiceStartError, PortInUseError, DataDirBusyError, HAPROXY_INSTALL_HINT } from './errors.js';
export { clusterDdl } from './ddl.js';
