import type { Logger } from '@pulse/protocol';

export const DEFAULT_START_RETRY_INITIAL_MS = 500;
export const DEFAULT_START_RETRY_MAX_MS = 10_000;
export const START_RETRY_MESSAGE = 'core start failed; retrying';

export interface StartRetryOptions {
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
 * failure: NATS timing out during a JetStream election, or not there yet, answers a moment later.
 * Resolves true once started, false when stopped first.
 */
export async function retryStart(o: StartRetryOptions): Promise<boolean> {
  const maxMs = o.maxMs ?? DEFAULT_START_RETRY_MAX_MS;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let pause = o.initialMs ?? DEFAULT_START_RETRY_INITIAL_MS;
  for (let attempt = 1; ; attempt++) {
    if (o.stopped()) return false;
    try {
      await o.attempt();
      return true;
    } catch (err) {
      if (o.fatal(err)) throw err;
      if (o.stopped()) return false;
      o.log.log('warn', START_RETRY_MESSAGE, { attempt, retry_in_ms: pause, err });
      await sleep(pause);
      pause = Math.min(pause * 2, maxMs);
    }
  }
}
