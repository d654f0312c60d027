import type { Logger } from './log.js';

export const DEFAULT_START_RETRY_INITIAL_MS = 500;
export const DEFAULT_START_RETRY_MAX_MS = 10_000;

/** The warn line of each failed start attempt, e.g. `aggregator start failed; retrying`. */
export function startRetryMessage(name: string): string {
  return `${name} start failed; retrying`;
}

export interface StartRetryOptions {
  /** Names the process in the warn line (`core`, `aggregator`, `query api`). */
  name: string;
  /** One attempt; each picks up where the last one failed. */
  attempt: () => Promise<void>;
  /** A failure no retry can mend (a configuration error): rethrown at once. */
  fatal: (err: unknown) => boolean;
  /** True once the process is asked to stop: no further attempt. */
  stopped: () => boolean;
  log: Logger;
  initialMs?: number;
  maxMs?: number;
  /** Resolves after `ms` (tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, with a warn line and a doubling pause (to `maxMs`) after each
 * failure: NATS timing out during a JetStream election, or not there yet, answers a moment later,
 * and a process that exited instead would wait for its supervisor's restart (or never come back
 * under one that gives up). Resolves true once started, false when stopped first.
 */
export async function retryStart(o: StartRetryOptions): Promise<boolean> {
  const maxMs = o.maxMs ?? DEFAULT_START_RETRY_MAX_MS;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const message = startRetryMessage(o.name);
  let pause = o.initialMs ?? DEFAULT_START_RETRY_INITIAL_MS;
  for (let attempt = 1; ; attempt++) {
    if (o.stopped()) return false;
    try {
      await o.attempt();
      return true;
    } catch (err) {
      if (o.fatal(err)) throw err;
      if (o.stopped()) return false;
      o.log.log('warn', message, { attempt, retry_in_ms: pause, err });
      await sleep(pause);
      pause = Math.min(pause * 2, maxMs);
    }
  }
}
