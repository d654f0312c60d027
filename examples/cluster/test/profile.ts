/**
 * Short (CI, `npm test`) and long (`npm run chaos`) forms of the fault suite: the same scenarios,
 * different durations and rates. Rates stay modest: this checks correctness, not throughput.
 */
export interface ChaosProfile {
  name: 'short' | 'long';
  /** Events per second tracked by the SDK during a scenario. */
  eventsPerSec: number;
  /** Load before the fault is injected. */
  warmupMs: number;
  /** How long the fault lasts (a node down, storage away, a process frozen). */
  faultMs: number;
  /** Load after recovery, before the client closes. */
  afterMs: number;
}

const SHORT: ChaosProfile = { name: 'short', eventsPerSec: 100, warmupMs: 3_000, faultMs: 5_000, afterMs: 3_000 };
const LONG: ChaosProfile = { name: 'long', eventsPerSec: 300, warmupMs: 15_000, faultMs: 20_000, afterMs: 15_000 };

export function chaosProfile(env: NodeJS.ProcessEnv = process.env): ChaosProfile {
  return env.CHAOS_PROFILE === 'long' ? LONG : SHORT;
}
