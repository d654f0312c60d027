import type { KV, KvEntry, QueuedIterator } from 'nats';
import type { Logger } from '../log.js';

/** Pause before a watch that ended is opened again (and between attempts while NATS is away). */
export const DEFAULT_WATCH_RETRY_MS = 1_000;

export interface BucketWatchOptions {
  kv: KV;
  /** The bucket's name, for logs. */
  bucket: string;
  /** Every change to the bucket after `start()`, in revision order. */
  onChange: (entry: KvEntry) => void;
  log: Logger;
  /** True once the connection is closed for good: no point opening the watch again. */
  closed: () => boolean;
  retryMs?: number;
}

/**
 * Follows every change of a KV bucket from the moment it starts, without a gap: it remembers the
 * last revision it has seen and, when the watch ends (the ordered consumer could not be made
 * again), opens a new one at the next revision. A revocation made while it was away is still
 * delivered once NATS answers again, so a cache fed by it never outlives a deleted key unnoticed.
 */
export class BucketWatch {
  private revision = 0;
  private iterator: QueuedIterator<KvEntry> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly retryMs: number;

  constructor(private readonly o: BucketWatchOptions) {
    this.retryMs = o.retryMs ?? DEFAULT_WATCH_RETRY_MS;
  }

  /** Starts after the bucket's current last revision: older changes are in what a `get` reads. */
  async start(): Promise<void> {
    const status = await this.o.kv.status();
    this.revision = status.streamInfo.state.last_seq;
    await this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.iterator?.stop();
  }

  private async open(): Promise<void> {
    const it = await this.o.kv.watch({ resumeFromRevision: this.revision + 1 });
    if (this.stopped) {
      it.stop();
      return;
    }
    this.iterator = it;
    void this.follow(it);
  }

  private async follow(it: QueuedIterator<KvEntry>): Promise<void> {
    try {
      for await (const e of it) {
        // A consumer the client made again replays from an earlier revision: seen ones are skipped.
        if (e.revision <= this.revision) continue;
        this.revision = e.revision;
        this.o.onChange(e);
      }
    } catch (err) {
      if (!this.stopped) this.o.log.log('warn', 'tenancy watch ended; reopening it', { bucket: this.o.bucket, revision: this.revision, err });
    }
    this.reopenLater();
  }

  private reopenLater(): void {
    if (this.stopped || this.o.closed()) return;
    this.timer = setTimeout(() => {
      this.open().catch((err: unknown) => {
        this.o.log.log('warn', 'tenancy watch could not be reopened; retrying', { bucket: this.o.bucket, err });
        this.reopenLater();
      });
    }, this.retryMs);
    this.timer.unref();
  }
}
