/** One pending deadline; `fire` runs at most once, within one tick after `at`. */
export interface Deadline {
  at: number;
  fire: () => void;
}

/**
 * Body deadlines for every request on one interval instead of a timer each:
 * most bodies arrive with their headers, and arming plus clearing a libuv
 * timer per request showed up in profiles. Precision is one tick.
 */
export class DeadlineSweeper {
  private readonly pending = new Set<Deadline>();
  private interval: ReturnType<typeof setInterval> | undefined;
  private idleTicks = 0;

  constructor(private readonly tickMs: number) {}

  add(afterMs: number, fire: () => void): Deadline {
    const d: Deadline = { at: performance.now() + afterMs, fire };
    this.pending.add(d);
    if (this.interval === undefined) {
      this.interval = setInterval(() => this.sweep(), this.tickMs);
      (this.interval as { unref?: () => void }).unref?.();
    }
    return d;
  }

  delete(d: Deadline | undefined): void {
    if (d) this.pending.delete(d);
  }

  /** Stops the interval; pending deadlines no longer fire. */
  stop(): void {
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    this.pending.clear();
  }

  private sweep(): void {
    if (this.pending.size === 0) {
      // Kept alive through short idle spells so busy servers do not re-arm it per request.
      if (++this.idleTicks >= 4) this.stop();
      return;
    }
    this.idleTicks = 0;
    const now = performance.now();
    for (const d of this.pending) {
      if (d.at > now) continue;
      this.pending.delete(d);
      d.fire();
    }
  }
}

/** A tick fine enough for a timeout of `timeoutMs` (a tenth of it, within 10..250 ms). */
export function sweepTickFor(timeoutMs: number): number {
  return Math.max(10, Math.min(250, Math.floor(timeoutMs / 10)));
}
