import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { ServiceStartError } from './errors.js';

export interface ServiceSpec {
  /** Unique in the cluster: "collector-1", "core", "haproxy". */
  name: string;
  cmd: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Polled after each start until it answers 200. */
  readyUrl: string;
  /** stdout and stderr are appended here (JSON lines from our services). */
  logFile: string;
  readyTimeoutMs: number;
  stopGraceMs: number;
  /** Its own process group, so a Ctrl-C to the terminal reaches the launcher only (ClusterOptions.ownProcessGroups). */
  detached?: boolean;
  /** Called after each spawn (every start), e.g. to keep a pid file. */
  onSpawn?: (child: ChildProcess) => void;
}

/** A service run as its own OS process, as it would be on its own machine. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number | undefined;
  running(): boolean;
  /** Spawns and waits for readiness. */
  start(): Promise<void>;
  /** SIGTERM (the service drains), SIGKILL after the grace period; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a frozen machine or a stop-the-world pause. */
  pause(): void;
  resume(): void;
  waitReady(timeoutMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TAIL_LINES = 20;

export function createServiceProcess(spec: ServiceSpec): ServiceProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const tail: string[] = [];

  const isRunning = () => !!child && child.exitCode === null && child.signalCode === null;

  async function waitReady(timeoutMs = spec.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!isRunning()) {
        throw new ServiceStartError(spec.name, `exited (${child?.exitCode ?? child?.signalCode}) before it was ready; last output:\n${tail.join('\n')}`);
      }
      const res = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      if (res) await res.arrayBuffer().catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new ServiceStartError(spec.name, `not ready at ${spec.readyUrl} within ${timeoutMs} ms; last output:\n${tail.join('\n')}`);
      await sleep(100);
    }
  }

  async function signalAndWait(sig: NodeJS.Signals, graceMs?: number): Promise<void> {
    if (!child || !isRunning()) return;
    // A paused process cannot act on SIGTERM.
    child.kill('SIGCONT');
    child.kill(sig);
    const timer = graceMs === undefined ? undefined : setTimeout(() => child?.kill('SIGKILL'), graceMs);
    await exited;
    if (timer) clearTimeout(timer);
  }

  return {
    name: spec.name,
    get pid() {
      return child?.pid;
    },
    running: isRunning,
    async start() {
      if (isRunning()) throw new ServiceStartError(spec.name, 'already running');
      const out: WriteStream = createWriteStream(spec.logFile, { flags: 'a' });
      const proc = spawn(spec.cmd, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: spec.detached ?? false });
      child = proc;
      exited = new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.once('error', (err) => {
          tail.push(`spawn failed: ${err.message}`);
          resolve();
        });
      });
      const keep = (chunk: Buffer) => {
        out.write(chunk);
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line) continue;
          tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
          if (tail.length > TAIL_LINES) tail.shift();
        }
      };
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      proc.once('close', () => out.end());
      try {
        if (proc.pid !== undefined) spec.onSpawn?.(proc);
        await waitReady();
      } catch (err) {
        // Never leave a half-started service behind.
        await signalAndWait('SIGKILL');
        throw err;
      }
    },
    async stop() {
      await signalAndWait('SIGTERM', spec.stopGraceMs);
      return child?.exitCode ?? null;
    },
    async kill() {
      await signalAndWait('SIGKILL');
    },
    pause() {
      if (isRunning()) child?.kill('SIGSTOP');
    },
    resume() {
      if (isRunning()) child?.kill('SIGCONT');
    },
    waitReady,
  };
}
