import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import { spawnNatsServer, type NatsServerHandle } from '@pulse/testkit';
import { loadAdminToken } from '@pulse/embedded';
import { ServiceStartError } from './errors.js';
import { findHaproxy, haproxyConfig } from './haproxy.js';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './options.js';
import { bunBinary, collectorEntry, ownDist } from './packages.js';
import { createServiceProcess, type ServiceProcess } from './process.js';

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
  dataDir: string;
  /** The parts, for fault injection. */
  nats: NatsServerHandle[];
  collectors: ServiceProcess[];
  core: ServiceProcess;
  lb: ServiceProcess;
  /** Streams (and KV buckets) whose replica count is below the configured one. */
  underReplicated(): Promise<string[]>;
  /** Drains in order: collectors, balancer, core (aggregators ack what they stored), NATS. */
  stop(): Promise<void>;
}

function localHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function startNatsNodes(o: ResolvedClusterOptions): Promise<NatsServerHandle[]> {
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

/**
 * Pulse as a cluster on one machine, from the same parts and the same configuration (env) as a
 * multi-machine deployment: a NATS JetStream cluster with every stream at `replicas`, collectors
 * behind HAProxy, and a core process with the aggregators and the query API on one chDB data dir.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const o = resolveClusterOptions(options);
  const haproxyBin = o.haproxyBin ?? findHaproxy();
  const logsDir = join(o.dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const { token: adminToken, generated } = loadAdminToken(o.dataDir, o.adminToken);
  const host = localHost(o.host);
  const say = (msg: string, fields: Record<string, unknown> = {}) =>
    o.log({ level: 'info', service: 'cluster', msg, time: new Date().toISOString(), ...fields });

  const nats: NatsServerHandle[] = [];
  const collectors: ServiceProcess[] = [];
  let core: ServiceProcess | undefined;
  let lb: ServiceProcess | undefined;

  const stop = async () => {
    await Promise.all(collectors.map((c) => c.stop()));
    await lb?.stop();
    await core?.stop();
    await Promise.all(nats.map((n) => n.stop()));
    say('cluster stopped');
  };

  try {
    nats.push(...(await startNatsNodes(o)));
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
    });
    await lb.start();
    say('load balancer up', { url: `http://${host}:${o.lbPort}`, config: cfgFile });

    const low = await underReplicated(natsServers, o.replicas);
    if (low.length > 0) throw new ServiceStartError('nats', `streams below R${o.replicas}: ${low.join(', ')}`);

    return {
      ingestUrl: `http://${host}:${o.lbPort}`,
      queryUrl: `http://${host}:${o.queryPort}`,
      lbStatsUrl: `http://${host}:${o.lbStatsPort}/stats`,
      collectorUrls,
      aggregatorUrls,
      natsServers,
      adminToken,
      adminTokenGenerated: generated,
      dataDir: o.dataDir,
      nats,
      collectors,
      core,
      lb,
      underReplicated: () => underReplicated(natsServers, o.replicas),
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
