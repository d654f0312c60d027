import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { spawnNatsServer, type NatsServerHandle } from './nats-server.js';
import { tempDir } from './dirs.js';
import { freePort } from './ports.js';

export interface TestNats extends NatsServerHandle {
  /** Stops the server and deletes its store. */
  cleanup(): Promise<void>;
}

/** A single nats-server with JetStream on a free port and a fresh temp store. */
export async function startNats(): Promise<TestNats> {
  const dir = tempDir('pulse-nats-');
  const server = await spawnNatsServer({ storeDir: join(dir.path, 'store'), workDir: dir.path });
  return Object.assign(server, {
    async cleanup() {
      await server.stop();
      dir.remove();
    },
  });
}

export interface ConnectedNats {
  server: TestNats;
  nc: NatsConnection;
  /** Closes the client, then stops the server and deletes its store. */
  cleanup(): Promise<void>;
}

/** `startNats()` plus a client connected to it: what most tests open in their first hook. */
export async function startConnectedNats(): Promise<ConnectedNats> {
  const server = await startNats();
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: server.url });
  } catch (err) {
    await server.cleanup();
    throw err;
  }
  return {
    server,
    nc,
    async cleanup() {
      await nc.close().catch(() => undefined);
      await server.cleanup();
    },
  };
}

export interface TestNatsCluster {
  nodes: NatsServerHandle[];
  /** Comma-separated client URLs of every node, for `servers`. */
  servers: string[];
  cleanup(): Promise<void>;
}

/**
 * How long a cluster node may take to answer `/healthz` after a start or restart. A clustered node is
 * healthy only once JetStream has a meta leader and the node has caught up, which needs its peers:
 * two nodes restarted together on a loaded 2-core machine (CI runs every package's tests at once)
 * took over the single server's 15 s once.
 */
export const CLUSTER_NODE_START_TIMEOUT_MS = 60_000;

/** A JetStream cluster of `size` nodes (3 by default) on one machine. */
export async function startNatsCluster(size = 3): Promise<TestNatsCluster> {
  const dir = tempDir('pulse-natscluster-');
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const clientPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  const nodes = await Promise.all(
    routePorts.map((routePort, i) =>
      spawnNatsServer({
        storeDir: join(dir.path, `n${i}`, 'store'),
        workDir: join(dir.path, `n${i}`),
        serverName: `n${i}`,
        port: clientPorts[i],
        cluster: { name: 'pulse-test', port: routePort, routes },
        startTimeoutMs: CLUSTER_NODE_START_TIMEOUT_MS,
      }),
    ),
  );
  return {
    nodes,
    servers: nodes.map((n) => n.url),
    async cleanup() {
      await Promise.all(nodes.map((n) => n.stop()));
      dir.remove();
    },
  };
}
