import type { NatsConnection, Subscription } from 'nats';

/** How often a process tells the others what its keys used: the lag of a shared limit. */
export const DEFAULT_USAGE_SHARE_INTERVAL_MS = 200;
/** Keys a message names at most, so one stays far below NATS's 1 MiB default max payload. */
export const USAGE_SHARE_KEYS_PER_MESSAGE = 2_000;

/** Core NATS subjects the processes of one kind share their rate-limit usage on. */
export const USAGE_SUBJECT_COLLECTOR = 'pulse.usage.collector';
export const USAGE_SUBJECT_QUERY = 'pulse.usage.query';

export interface UsageShareOptions {
  nc: NatsConnection;
  subject: string;
  /** Charges another process's use of `key` to this process's limiter. */
  onRemote(key: string, amount: number): void;
  intervalMs?: number;
}

interface UsageMessage {
  /** The sending process, so it skips its own messages. */
  from: string;
  usage: [string, number][];
}

/**
 * Makes per-process token buckets one limit for every process of a kind, on any number of
 * machines: each process publishes what each key used here every `intervalMs` (core NATS, no
 * stream: a lost message only lets a little more through), and charges what the others used to
 * its own buckets. A key over its limit is refused everywhere within about one interval; before
 * that, N processes may together let through up to N intervals' worth more than the limit.
 *
 * The messages carry the keys themselves, as the tenancy KV buckets do: NATS permissions that
 * keep clients off those buckets must keep them off `pulse.usage.>` too.
 */
export class UsageShare {
  private readonly id = globalThis.crypto.randomUUID();
  private pending = new Map<string, number>();
  private sub: Subscription | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(private readonly o: UsageShareOptions) {}

  /** Notes `amount` used by `key` in this process, for the next message. */
  record(key: string, amount: number): void {
    this.pending.set(key, (this.pending.get(key) ?? 0) + amount);
  }

  start(): void {
    if (this.sub) return;
    this.sub = this.o.nc.subscribe(this.o.subject, {
      callback: (err, msg) => {
        if (err) return;
        this.receive(msg.data);
      },
    });
    this.timer = setInterval(() => this.flush(), this.o.intervalMs ?? DEFAULT_USAGE_SHARE_INTERVAL_MS);
    this.timer.unref?.();
  }

  /** Publishes what was used since the last message; a closed connection drops it (see above). */
  flush(): void {
    if (this.pending.size === 0) return;
    const entries = [...this.pending];
    this.pending = new Map();
    if (this.o.nc.isClosed()) return;
    for (let i = 0; i < entries.length; i += USAGE_SHARE_KEYS_PER_MESSAGE) {
      const m: UsageMessage = { from: this.id, usage: entries.slice(i, i + USAGE_SHARE_KEYS_PER_MESSAGE) };
      try {
        this.o.nc.publish(this.o.subject, this.encoder.encode(JSON.stringify(m)));
      } catch {
        // Draining or closed: this interval's usage stays local.
        return;
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    try {
      this.sub?.unsubscribe();
    } catch {
      // The connection is closed: so is the subscription.
    }
    this.sub = undefined;
  }

  /** Another process's usage; anything malformed is ignored (the subject is internal, not trusted blindly). */
  private receive(data: Uint8Array): void {
    let m: unknown;
    try {
      m = JSON.parse(this.decoder.decode(data));
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    const { from, usage } = m as Partial<UsageMessage>;
    if (from === this.id || !Array.isArray(usage)) return;
    for (const e of usage) {
      if (!Array.isArray(e)) continue;
      const [key, amount] = e as unknown[];
      if (typeof key === 'string' && typeof amount === 'number' && Number.isFinite(amount) && amount > 0) this.o.onRemote(key, amount);
    }
  }
}
