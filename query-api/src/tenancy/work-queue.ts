/**
 * Items handled in the background, at most `parallel` at a time and in arrival order: a burst
 * (thousands of keys purged at once) must not become thousands of concurrent KV requests.
 */
export class WorkQueue<T> {
  private readonly items: T[] = [];
  private running = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly work: (item: T) => Promise<void>,
    private readonly parallel: number,
    /** A failed item is reported and dropped; whatever retries it (a catch-up) is the caller's. */
    private readonly onError: (err: unknown, item: T) => void,
  ) {}

  push(item: T): void {
    this.items.push(item);
    // Each worker runs until the queue is empty: one more per item, up to the limit.
    if (this.running < this.parallel) {
      this.running++;
      void this.drain();
    }
  }

  /** Resolves once every item pushed so far is handled. */
  idle(): Promise<void> {
    if (this.running === 0 && this.items.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const item = this.items.shift() as T;
      try {
        await this.work(item);
      } catch (err) {
        this.onError(err, item);
      }
    }
    this.running--;
    if (this.running === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }
}
