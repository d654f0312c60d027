import type { Logger } from '@pulse/protocol';

/** A child process the launcher keeps running: the launcher is the only one watching it. */
export interface Supervised {
  part: string;
  alive(): boolean;
  /** Starts it again after it died. */
  start(): Promise<void>;
}

export interface Supervisor {
  /** Runs `fn` with no check in between (a deliberate restart must not race the watch). */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Stops watching: what exits from now on is being stopped. */
  stop(): Promise<void>;
}

/** How often the children are looked at; a dead one is noticed within this. */
export const SUPERVISE_INTERVAL_MS = 1_000;

/**
 * Starts a child again when it dies (a crashed collector left ingest refusing connections while
 * every readiness probe said ready, and nothing said so). Each death is logged as an error; a
 * start that fails is logged and tried again at the next look.
 */
export function supervise(children: readonly Supervised[], log: Logger, intervalMs = SUPERVISE_INTERVAL_MS): Supervisor {
  let lane: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = lane.then(fn, fn);
    lane = next.catch(() => undefined);
    return next;
  };
  const look = async (): Promise<void> => {
    for (const c of children) {
      if (stopped || c.alive()) continue;
      log.log('error', `${c.part} exited unexpectedly; starting it again`, { part: c.part });
      try {
        await c.start();
        log.log('info', `${c.part} started again`, { part: c.part });
      } catch (err) {
        log.log('error', `${c.part} could not be started again; retrying`, { part: c.part, err: String(err) });
      }
    }
  };
  const timer = setInterval(() => void serial(look), intervalMs);
  timer.unref();
  return {
    serial,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await lane;
    },
  };
}
