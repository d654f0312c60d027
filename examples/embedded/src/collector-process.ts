import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CollectorRuntime } from './options.js';
import { ServiceStartError } from './errors.js';
import { bunBinary, collectorEntry } from './packages.js';

export interface CollectorProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM (drain) and wait; SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface CollectorProcessOptions {
  runtime: CollectorRuntime;
  host: string;
  port: number;
  natsUrl: string;
  readyTimeoutMs: number;
  bunBin?: string;
  env?: Record<string, string>;
  /** Its own process group: a Ctrl-C to the terminal reaches the parent only (see EmbeddedOptions.ownProcessGroups). */
  detached?: boolean;
  /** Called right after the spawn, e.g. to keep a pid file. */
  onSpawn?: (child: ChildProcess) => void;
  log: (entry: Record<string, unknown>) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCollectorProcess(o: CollectorProcessOptions): Promise<CollectorProcess> {
  const cmd = o.runtime === 'bun' ? bunBinary(o.bunBin) : process.execPath;
  const child = spawn(cmd, [collectorEntry(o.runtime)], {
    env: { ...process.env, ...o.env, COLLECTOR_PORT: String(o.port), COLLECTOR_HOST: o.host, NATS_URL: o.natsUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: o.detached ?? false,
  });
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      spawnError = err;
      resolve(null);
    });
  });
  try {
    if (child.pid !== undefined) o.onSpawn?.(child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      try {
        o.log({ service: 'collector', ...(JSON.parse(line) as Record<string, unknown>) });
      } catch {
        o.log({ service: 'collector', level: 'info', msg: line, time: new Date().toISOString() });
      }
    });
  }
  const host = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const url = `http://${host}:${o.port}`;
  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if (spawnError) throw new ServiceStartError('collector', `could not run ${cmd}: ${spawnError.message}`, { cause: spawnError });
    if (child.exitCode !== null) throw new ServiceStartError('collector', `exited with code ${child.exitCode} before it was ready`);
    // A bounded wait: whatever holds the port may accept and never answer.
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res) await res.arrayBuffer().catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ServiceStartError('collector', `not ready within ${o.readyTimeoutMs} ms`);
    }
    await sleep(50);
  }
  return {
    url,
    child,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
