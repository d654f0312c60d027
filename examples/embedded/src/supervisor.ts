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

export interface SuperviseOptions {
  children: readonly Supervised[];
  logger: Logger;
  /** How often the children are looked at (default SUPERVISE_INTERVAL_MS). */
  intervalMs?: number;
}

/** How often the children are looked at; a dead one is noticed within this. */
export const SUPERVISE_INTERVAL_MS = 1_000;

/**
 * Starts a child again when it dies (a crashed collector left ingest refusing connections while
 * every readiness probe said ready, and nothing said so). Each death is logged as an error; a
 * start that fails is logged and tried again at the next look (a retry is not a new death).
 *
 * Children found dead at the same look start together, not one after the other: a NATS cluster
 * node reports healthy only once it has a quorum, so with every node dead, a node started alone
 * waits for peers that would be started only after it.
 */
export function supervise(o: SuperviseOptions): Supervisor {
  const { children, logger } = o;
  let lane: Promise<unknown> = Promise.resolve();
  let stopped = false;
  // Dead because their last start failed: already reported.
  const failing = new Set<Supervised>();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = lane.then(fn, fn);
    lane = next.catch(() => undefined);
    return next;
  };
  const restart = async (c: Supervised): Promise<void> => {
    if (!failing.has(c)) logger.log('error', `${c.part} exited unexpectedly; starting it again`, { part: c.part });
    try {
      await c.start();
      failing.delete(c);
      logger.log('info', `${c.part} started again`, { part: c.part });
    } catch (err) {
      failing.add(c);
      logger.log('error', `${c.part} could not be started again; retrying`, { part: c.part, err: String(err) });
    }
  };
  const look = async (): Promise<void> => {
    if (stopped) return;
    const dead = children.filter((c) => !c.alive());
    // Running again some other way (a deliberate start): its next death is news.
    for (const c of failing) if (!dead.includes(c)) failing.delete(c);
    await Promise.all(dead.map(restart));
  };
  const timer = setInterval(() => void serial(look), o.intervalMs ?? SUPERVISE_INTERVAL_MS);
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
