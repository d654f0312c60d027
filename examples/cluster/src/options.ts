import { ClusterConfigError } from './errors.js';

export type CollectorRuntime = 'bun' | 'node';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_LB_PORT = 8080;
export const DEFAULT_QUERY_PORT = 8081;
export const DEFAULT_AGGREGATOR_PORTS: readonly number[] = [8082, 8083];
export const DEFAULT_COLLECTOR_PORTS: readonly number[] = [8180, 8181];
// Not 4222: a system nats-server often has it (the embedded mode uses 4250 for the same reason).
export const DEFAULT_NATS_PORTS: readonly number[] = [4251, 4252, 4253];
export const DEFAULT_NATS_ROUTE_PORTS: readonly number[] = [6251, 6252, 6253];
export const DEFAULT_LB_STATS_PORT = 8404;
export const DEFAULT_REPLICAS = 3;
export const DEFAULT_COLLECTOR_RUNTIME: CollectorRuntime = 'node';
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** SIGTERM grace before SIGKILL when stopping a service. */
export const DEFAULT_STOP_GRACE_MS = 30_000;

export interface ClusterOptions {
  /** Everything persistent: nats/n0..n2, core/clickhouse, admin-token, haproxy.cfg, logs/. */
  dataDir: string;
  /** Loopback only by default: this is a lab on one machine. */
  host?: string;
  /** The load balancer's port: the collectors' public address. */
  lbPort?: number;
  /** HAProxy's stats page (`/stats`). */
  lbStatsPort?: number;
  queryPort?: number;
  /** One status port (/healthz, /readyz, /metrics) per aggregator in the core process; its length is the number of aggregators. */
  aggregatorPorts?: number[];
  /** One port per collector; its length is the number of collectors. */
  collectorPorts?: number[];
  /** Client ports of the NATS nodes; its length is the cluster size. */
  natsPorts?: number[];
  natsRoutePorts?: number[];
  /** Replicas of EVENTS, EVENTS_DLQ and every KV bucket (3 in a 3-node cluster). */
  replicas?: number;
  adminToken?: string;
  collectorRuntime?: CollectorRuntime;
  /** Extra env for the collectors (e.g. COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC). */
  collectorEnv?: Record<string, string>;
  /**
   * A file whose existence makes the core process's storage fail like an unreachable ClickHouse
   * (fault tests only; see docs/RELIABILITY.md).
   */
  storageFaultFile?: string;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  haproxyBin?: string;
  natsServerBin?: string;
  /**
   * Run every service (NATS nodes, collectors, HAProxy, core) in a process group of its own, so a
   * Ctrl-C in the terminal (SIGINT to the whole foreground group) reaches only the launcher, which
   * then stops them in the documented order. `npm run cluster` sets it; off by default, so the
   * children of a test die with it.
   */
  ownProcessGroups?: boolean;
  /** One JSON object per call; default: stdout as JSON lines. */
  log?: (entry: Record<string, unknown>) => void;
}

export type ResolvedClusterOptions = Required<
  Omit<ClusterOptions, 'adminToken' | 'storageFaultFile' | 'haproxyBin' | 'natsServerBin' | 'collectorEnv'>
> &
  Pick<ClusterOptions, 'adminToken' | 'storageFaultFile' | 'haproxyBin' | 'natsServerBin'> & { collectorEnv: Record<string, string> };

function port(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new ClusterConfigError(field, 'must be a port number 1..65535', String(v));
  return v;
}

function ports(field: string, v: readonly number[], min: number): number[] {
  if (!Array.isArray(v) || v.length < min) throw new ClusterConfigError(field, `needs at least ${min} ports`);
  return v.map((p, i) => port(`${field}[${i}]`, p));
}

/** Validates every option in one place and fills the defaults. */
export function resolveClusterOptions(o: ClusterOptions): ResolvedClusterOptions {
  if (!o || typeof o.dataDir !== 'string' || o.dataDir === '') throw new ClusterConfigError('dataDir', 'is required');
  const runtime = o.collectorRuntime ?? DEFAULT_COLLECTOR_RUNTIME;
  if (runtime !== 'bun' && runtime !== 'node') throw new ClusterConfigError('collectorRuntime', 'must be "bun" or "node"', `"${String(runtime)}"`);
  if (o.adminToken !== undefined && (o.adminToken.length < 16 || /\s/.test(o.adminToken))) {
    throw new ClusterConfigError('adminToken', 'must be at least 16 characters without spaces');
  }
  const natsPorts = ports('natsPorts', o.natsPorts ?? DEFAULT_NATS_PORTS, 1);
  const natsRoutePorts = ports('natsRoutePorts', o.natsRoutePorts ?? DEFAULT_NATS_ROUTE_PORTS, 1);
  if (natsRoutePorts.length !== natsPorts.length) throw new ClusterConfigError('natsRoutePorts', `needs one port per NATS node (${natsPorts.length})`);
  const replicas = o.replicas ?? Math.min(DEFAULT_REPLICAS, natsPorts.length);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > natsPorts.length || replicas > 5) {
    throw new ClusterConfigError('replicas', `must be an integer from 1 to the number of NATS nodes (${natsPorts.length})`, String(o.replicas));
  }
  // Each port is checked on its own first, so a bad one is named as such, not as "used twice".
  const lbPort = port('lbPort', o.lbPort ?? DEFAULT_LB_PORT);
  const lbStatsPort = port('lbStatsPort', o.lbStatsPort ?? DEFAULT_LB_STATS_PORT);
  const queryPort = port('queryPort', o.queryPort ?? DEFAULT_QUERY_PORT);
  const aggregatorPorts = ports('aggregatorPorts', o.aggregatorPorts ?? DEFAULT_AGGREGATOR_PORTS, 1);
  const collectorPorts = ports('collectorPorts', o.collectorPorts ?? DEFAULT_COLLECTOR_PORTS, 1);
  const all = [lbPort, lbStatsPort, queryPort, ...aggregatorPorts, ...collectorPorts, ...natsPorts, ...natsRoutePorts];
  const dup = all.find((p, i) => all.indexOf(p) !== i);
  if (dup !== undefined) throw new ClusterConfigError('ports', `port ${dup} is used twice`);
  const ms = (field: string, v: number | undefined, d: number) => {
    const n = v ?? d;
    if (!Number.isInteger(n) || n < 100) throw new ClusterConfigError(field, 'must be an integer >= 100 (ms)', String(v));
    return n;
  };
  return {
    dataDir: o.dataDir,
    host: o.host ?? DEFAULT_HOST,
    lbPort,
    lbStatsPort,
    queryPort,
    aggregatorPorts,
    collectorPorts,
    natsPorts,
    natsRoutePorts,
    replicas,
    adminToken: o.adminToken,
    collectorRuntime: runtime,
    collectorEnv: { ...o.collectorEnv },
    storageFaultFile: o.storageFaultFile,
    readyTimeoutMs: ms('readyTimeoutMs', o.readyTimeoutMs, DEFAULT_READY_TIMEOUT_MS),
    stopGraceMs: ms('stopGraceMs', o.stopGraceMs, DEFAULT_STOP_GRACE_MS),
    haproxyBin: o.haproxyBin,
    natsServerBin: o.natsServerBin,
    ownProcessGroups: o.ownProcessGroups ?? false,
    log: o.log ?? ((e) => process.stdout.write(JSON.stringify(e) + '\n')),
  };
}
