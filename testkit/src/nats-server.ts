import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { findNatsServer } from './nats-binary.js';
import { NATS_INSTALL_HINT, NatsServerStartError } from './errors.js';

export const DEFAULT_NATS_START_TIMEOUT_MS = 15_000;

export interface NatsClusterSpec {
  name: string;
  /** Route listen port of this node. */
  port: number;
  /** Route URLs of all nodes (this one may be included). */
  routes: string[];
}

export interface NatsServerOptions {
  /** JetStream store directory; data survives restarts of the same handle. */
  storeDir: string;
  /** Where the config and ports files go (default: storeDir). */
  workDir?: string;
  /** Client port; omitted = a free one chosen by the server (`port: -1` + ports file). */
  port?: number;
  host?: string;
  serverName?: string;
  cluster?: NatsClusterSpec;
  /** Path of the nats-server binary (default: NATS_SERVER_BIN, PATH, /usr/sbin). */
  bin?: string;
  /** Append the server's own log here (default: `<workDir>/nats-server.log`). */
  logFile?: string;
  startTimeoutMs?: number;
  /**
   * Run the server in its own process group, so a Ctrl-C to the caller's terminal does not reach
   * it and the caller stops it when it is ready to (what a launcher wants; tests leave it off so
   * the server dies with them).
   */
  detached?: boolean;
  /** Called after each spawn (the first start and every restart), e.g. to keep a pid file. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly pid: number | undefined;
  readonly storeDir: string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash. */
  kill(): Promise<void>;
  /** Start again on the same ports and store. */
  restart(): Promise<void>;
  running(): boolean;
}

function configText(o: NatsServerOptions, port: number | undefined, monitorPort: number | undefined, portsDir: string): string {
  const host = o.host ?? '127.0.0.1';
  const lines = [
    `listen: "${host}:${port ?? -1}"`,
    `http: "${host}:${monitorPort ?? -1}"`,
    `ports_file_dir: "${portsDir}"`,
    `jetstream { store_dir: "${o.storeDir}" }`,
  ];
  if (o.serverName) lines.push(`server_name: "${o.serverName}"`);
  if (o.cluster) {
    lines.push(
      `cluster {`,
      `  name: "${o.cluster.name}"`,
      `  listen: "${host}:${o.cluster.port}"`,
      `  routes: [${o.cluster.routes.map((r) => `"${r}"`).join(', ')}]`,
      `}`,
    );
  }
  return lines.join('\n') + '\n';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns a real nats-server with JetStream and waits until it answers /healthz. */
export async function spawnNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const bin = options.bin ?? findNatsServer();
  const workDir = options.workDir ?? options.storeDir;
  const portsDir = join(workDir, 'ports');
  mkdirSync(options.storeDir, { recursive: true });
  const timeout = options.startTimeoutMs ?? DEFAULT_NATS_START_TIMEOUT_MS;
  let port = options.port;
  let monitorPort: number | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    rmSync(portsDir, { recursive: true, force: true });
    mkdirSync(portsDir, { recursive: true });
    const conf = join(workDir, 'nats-server.conf');
    writeFileSync(conf, configText(options, port, monitorPort, portsDir));
    const log = createWriteStream(options.logFile ?? join(workDir, 'nats-server.log'), { flags: 'a' });
    const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    child = proc;
    if (proc.pid !== undefined && options.onSpawn) {
      try {
        options.onSpawn(proc);
      } catch (err) {
        proc.kill('SIGKILL');
        throw err;
      }
    }
    let spawnError: Error | undefined;
    exited = new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.once('error', (e) => {
        spawnError = e;
        resolve();
      });
    });
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (spawnError) {
        const missing = ['ENOENT', 'EACCES', 'ENOTDIR'].includes((spawnError as NodeJS.ErrnoException).code ?? '');
        const hint = missing ? `. Install nats-server with: ${NATS_INSTALL_HINT}  (or set NATS_SERVER_BIN to its path)` : '';
        throw new NatsServerStartError(`could not run ${bin}: ${spawnError.message}${hint}`, { cause: spawnError });
      }
      if (proc.exitCode !== null) {
        throw new NatsServerStartError(`nats-server exited with code ${proc.exitCode}; see ${options.logFile ?? join(workDir, 'nats-server.log')}`);
      }
      const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
      if (file) {
        try {
          const ports = JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats?: string[]; monitoring?: string[] };
          const natsUrl = ports.nats?.[0];
          const monUrl = ports.monitoring?.[0];
          if (natsUrl && monUrl) {
            port = Number(new URL(natsUrl).port);
            monitorPort = Number(new URL(monUrl).port);
            const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`).catch(() => undefined);
            if (res?.ok) return;
          }
        } catch {
          // ports file half written, or not listening yet
        }
      }
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new NatsServerStartError(`nats-server did not become healthy within ${timeout} ms`);
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    await exited;
  }

  await start();
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port as number;
    },
    get monitorPort() {
      return monitorPort as number;
    },
    get pid() {
      return child?.pid;
    },
    storeDir: options.storeDir,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      await start();
    },
    running: () => !!child && child.exitCode === null && child.signalCode === null,
  };
}
