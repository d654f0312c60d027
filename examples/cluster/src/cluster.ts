import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import { logFields, type Logger } from '@pulse/protocol';
import { spawnNatsServer, type NatsServerHandle } from '@pulse/testkit';
import { assertPortsFree, claimRunDir, hostProblem, loadAdminToken, type AdminTokenSource, type PortUse, type RunDir, type Supervisor } from '@pulse/embedded';
import { ClusterConfigError, ServiceStartError } from './errors.js';
import { findHaproxy, haproxyConfig } from './haproxy.js';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './options.js';
import { bunBinary, collectorEntry, ownDist } from './packages.js';
import { createServiceProcess, type ServiceProcess } from './process.js';
import { natsPart, superviseCluster } from './supervision.js';

export const NATS_CLUSTER_NAME = 'pulse';

export interface Cluster {
  /** The load balancer: the collectors' public address (POST /v1/batch). */
  ingestUrl: string;
  /** The query API and admin API. */
  queryUrl: string;
  /** HAProxy's stats page. */
  lbStatsUrl: string;
  /** Each collector directly (behind the balancer). */
  collectorUrls: string[];
  /** Each aggregator's /healthz, /readyz (pending, ackPending), /metrics. */
  aggregatorUrls: string[];
  /** Client URLs of the NATS nodes, i.e. the NATS_URL every service gets (comma-joined). */
  natsServers: string[];
  adminToken: string;
  adminTokenGenerated: boolean;
  /** Where the admin token came from: the options, the file an earlier start kept, or this start. */
  adminTokenSource: AdminTokenSource;
  /** `$DATA_DIR/admin-token`. */
  adminTokenFile: string;
  dataDir: string;
  /**
   * The parts, for fault injection. A part that dies is started again within a second (logged as
   * an error); one stopped or killed through these handles stays down until its handle's `start`
   * (`restart` for a NATS node).
   */
  nats: NatsServerHandle[];
  collectors: ServiceProcess[];
  core: ServiceProcess;
  lb: ServiceProcess;
  /** Streams (and KV buckets) whose replica count is below the configured one. */
  underReplicated(): Promise<string[]>;
  /**
   * Stops watching the parts, then drains in order: collectors, balancer, core (aggregators ack
   * what they stored), NATS, logging `stopped` with the `part` after each.
   */
  stop(): Promise<void>;
}

function localHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** When an earlier run's children are cleaned up (run-dir pid files), lower stops first: the documented order. */
const STOP_ORDER = { collector: 1, haproxy: 2, core: 3, nats: 9 } as const;

function startNatsNodes(o: ResolvedClusterOptions, run: RunDir): Promise<NatsServerHandle[]> {
  const routes = o.natsRoutePorts.map((p) => `nats-route://${localHost(o.host)}:${p}`);
  return Promise.all(
    o.natsPorts.map((port, i) => {
      const workDir = join(o.dataDir, 'nats', `n${i}`);
      return spawnNatsServer({
        storeDir: join(workDir, 'store'),
        workDir,
        serverName: `n${i}`,
        port,
        host: o.host,
        startTimeoutMs: o.readyTimeoutMs,
        detached: o.ownProcessGroups,
        onSpawn: (child) => run.record(natsPart(i), child, STOP_ORDER.nats),
        ...(o.natsServerBin ? { bin: o.natsServerBin } : {}),
        ...(o.natsPorts.length > 1 ? { cluster: { name: NATS_CLUSTER_NAME, port: o.natsRoutePorts[i] as number, routes } } : {}),
      });
    }),
  );
}

async function underReplicated(servers: string[], replicas: number): Promise<string[]> {
  const nc = await connect({ servers, name: 'pulse-cluster-check', maxReconnectAttempts: 5 });
  try {
    const jsm = await nc.jetstreamManager();
    const low: string[] = [];
    for await (const s of jsm.streams.list()) {
      if (s.config.num_replicas < replicas) low.push(`${s.config.name} (R${s.config.num_replicas})`);
    }
    return low;
  } finally {
    await nc.close();
  }
}

/** Every port the cluster listens on, checked free before anything starts. */
function portUses(o: ResolvedClusterOptions): PortUse[] {
  const uses = (field: string, service: string, list: readonly number[]) => list.map((port) => ({ port, host: o.host, service, field }));
  return [
    ...uses('natsPorts', 'nats-server', o.natsPorts),
    ...uses('natsRoutePorts', 'nats-server routes', o.natsRoutePorts),
    ...uses('queryPort', 'query API', [o.queryPort]),
    ...uses('aggregatorPorts', 'aggregator status', o.aggregatorPorts),
    ...uses('collectorPorts', 'collector', o.collectorPorts),
    ...uses('lbPort', 'HAProxy', [o.lbPort]),
    ...uses('lbStatsPort', 'HAProxy stats', [o.lbStatsPort]),
  ];
}

/**
 * Pulse as a cluster on one machine, from the same parts and the same configuration (env) as a
 * multi-machine deployment: a NATS JetStream cluster with every stream at `replicas`, collectors
 * behind HAProxy, and a core process with the aggregators and the query API on one chDB data dir.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const o = resolveClusterOptions(options);
  // Before the data dir is touched: a bad HOST is a setting to fix, not a failed start to clean up.
  const badHost = await hostProblem(o.host);
  if (badHost) throw new ClusterConfigError('host', badHost.reason, JSON.stringify(o.host), { cause: badHost.cause });
  const haproxyBin = o.haproxyBin ?? findHaproxy();
  const logsDir = join(o.dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const host = localHost(o.host);
  const logger: Logger = { log: (level, msg, fields) => o.log({ level, service: 'cluster', msg, time: new Date().toISOString(), ...logFields(fields) }) };
  const say = (msg: string, fields: Record<string, unknown> = {}) => logger.log('info', msg, fields);
  // Fails when a live run owns the dir; stops what a killed run left running.
  const run = await claimRunDir(o.dataDir, { logger, graceMs: o.stopGraceMs });

  const nats: NatsServerHandle[] = [];
  const collectors: ServiceProcess[] = [];
  let core: ServiceProcess | undefined;
  let lb: ServiceProcess | undefined;
  let supervisor: Supervisor | undefined;

  const stop = async () => {
    // First: from here on a service that exits is being stopped, not dying.
    if (supervisor) {
      await supervisor.stop();
      say('stopped', { part: 'supervisor' });
    }
    const codes = await Promise.all(collectors.map(async (c) => [c.name, await c.stop()] as const));
    for (const c of collectors) run.forget(c.name);
    say('stopped', { part: 'collectors', codes: Object.fromEntries(codes) });
    if (lb) {
      await lb.stop();
      run.forget(lb.name);
      say('stopped', { part: 'load balancer' });
    }
    if (core) {
      const code = await core.stop();
      run.forget(core.name);
      say('stopped', { part: 'core', code });
    }
    await Promise.all(nats.map((n) => n.stop()));
    nats.forEach((_, i) => run.forget(natsPart(i)));
    say('stopped', { part: 'nats' });
    run.release();
    say('cluster stopped');
  };

  try {
    await assertPortsFree(portUses(o));
    const { token: adminToken, generated, source: adminTokenSource, file: adminTokenFile } = loadAdminToken(o.dataDir, o.adminToken);
    nats.push(...(await startNatsNodes(o, run)));
    const natsServers = nats.map((n) => n.url);
    say('nats cluster up', { servers: natsServers, replicas: o.replicas });

    const coreDir = join(o.dataDir, 'core');
    mkdirSync(coreDir, { recursive: true });
    const aggregatorUrls = o.aggregatorPorts.map((p) => `http://${host}:${p}`);
    core = createServiceProcess({
      name: 'core',
      cmd: process.execPath,
      args: [ownDist('core-main.js')],
      env: {
        NATS_URL: natsServers.join(','),
        DATA_DIR: coreDir,
        ADMIN_TOKEN: adminToken,
        QUERY_PORT: String(o.queryPort),
        QUERY_HOST: o.host,
        AGGREGATOR_PORTS: o.aggregatorPorts.join(','),
        AGGREGATOR_HOST: o.host,
        STREAM_REPLICAS: String(o.replicas),
        NATS_KV_REPLICAS: String(o.replicas),
        PULSE_STORAGE_FAULT_FILE: o.storageFaultFile,
      },
      // The last aggregator starts last.
      readyUrl: `${aggregatorUrls[aggregatorUrls.length - 1]}/readyz`,
      logFile: join(logsDir, 'core.log'),
      readyTimeoutMs: o.readyTimeoutMs,
      stopGraceMs: o.stopGraceMs,
      detached: o.ownProcessGroups,
      onSpawn: (child) => run.record('core', child, STOP_ORDER.core),
    });
    await core.start();
    say('core up', { query: `http://${host}:${o.queryPort}`, aggregators: aggregatorUrls });

    const runtimeCmd = o.collectorRuntime === 'bun' ? bunBinary() : process.execPath;
    const collectorUrls = o.collectorPorts.map((p) => `http://${host}:${p}`);
    for (const [i, port] of o.collectorPorts.entries()) {
      const c = createServiceProcess({
        name: `collector-${i + 1}`,
        cmd: runtimeCmd,
        args: [collectorEntry(o.collectorRuntime)],
        env: {
          ...o.collectorEnv,
          NATS_URL: natsServers.join(','),
          COLLECTOR_PORT: String(port),
          COLLECTOR_HOST: o.host,
          NATS_STREAM_REPLICAS: String(o.replicas),
          // The balancer is the only proxy; its X-Forwarded-For carries the client address.
          COLLECTOR_TRUSTED_PROXIES: host,
        },
        readyUrl: `${collectorUrls[i]}/readyz`,
        logFile: join(logsDir, `collector-${i + 1}.log`),
        readyTimeoutMs: o.readyTimeoutMs,
        stopGraceMs: o.stopGraceMs,
        detached: o.ownProcessGroups,
        onSpawn: (child) => run.record(`collector-${i + 1}`, child, STOP_ORDER.collector),
      });
      await c.start();
      collectors.push(c);
    }
    say('collectors up', { collectors: collectorUrls, runtime: o.collectorRuntime });

    const cfgFile = join(o.dataDir, 'haproxy.cfg');
    writeFileSync(
      cfgFile,
      haproxyConfig({ host: o.host, port: o.lbPort, statsPort: o.lbStatsPort, backends: o.collectorPorts.map((p) => `${host}:${p}`) }),
    );
    lb = createServiceProcess({
      name: 'haproxy',
      cmd: haproxyBin,
      args: ['-db', '-f', cfgFile],
      readyUrl: `http://${host}:${o.lbPort}/readyz`,
      logFile: join(logsDir, 'haproxy.log'),
      readyTimeoutMs: o.readyTimeoutMs,
      stopGraceMs: o.stopGraceMs,
      detached: o.ownProcessGroups,
      onSpawn: (child) => run.record('haproxy', child, STOP_ORDER.haproxy),
    });
    await lb.start();
    say('load balancer up', { url: `http://${host}:${o.lbPort}`, config: cfgFile });

    const low = await underReplicated(natsServers, o.replicas);
    if (low.length > 0) throw new ServiceStartError('nats', `streams below R${o.replicas}: ${low.join(', ')}`);

    const watched = superviseCluster({ nats, core, collectors, lb, logger });
    supervisor = watched.supervisor;

    return {
      ingestUrl: `http://${host}:${o.lbPort}`,
      queryUrl: `http://${host}:${o.queryPort}`,
      lbStatsUrl: `http://${host}:${o.lbStatsPort}/stats`,
      collectorUrls,
      aggregatorUrls,
      natsServers,
      adminToken,
      adminTokenGenerated: generated,
      adminTokenSource,
      adminTokenFile,
      dataDir: o.dataDir,
      nats: watched.nats,
      collectors: watched.collectors,
      core: watched.core,
      lb: watched.lb,
      underReplicated: () => underReplicated(natsServers, o.replicas),
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
