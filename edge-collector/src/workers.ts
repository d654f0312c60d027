import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from './core/types.js';

/** Env var a worker is started with, so it does not start workers itself. */
export const WORKER_ENV = 'PULSE_COLLECTOR_WORKER';

export interface Workers {
  /** Forwards SIGTERM to every worker and resolves once all have exited. */
  stop(): Promise<void>;
}

/**
 * Starts `count` extra copies of this process on the same port. Both runtimes
 * listen with SO_REUSEPORT (uWS by default, Bun with `reusePort`), so the
 * kernel spreads connections over every process: one per core.
 */
export function startWorkers(count: number, env: Record<string, string | undefined>, log: Logger): Workers {
  const children = new Map<number, ChildProcess>();
  let stopping = false;
  const launch = (n: number): void => {
    const child = spawn(process.execPath, process.argv.slice(1), {
      env: { ...env, [WORKER_ENV]: String(n), COLLECTOR_PROCESSES: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(n, child);
    child.once('exit', (code, signal) => {
      children.delete(n);
      if (stopping) return;
      log('error', 'collector worker exited; restarting it', { worker: n, code, signal });
      setTimeout(() => {
        if (!stopping) launch(n);
      }, 1_000);
    });
  };
  for (let n = 1; n <= count; n++) launch(n);
  return {
    async stop() {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
