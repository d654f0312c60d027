/**
 * A value read from somewhere slow (storage, KV) and kept for `refreshMs`: concurrent callers
 * share one load, and a stale value is still answered while a background load replaces it.
 */
export class Refreshing<T> {
  private value: T | undefined;
  private at = 0;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly refreshMs: number,
    private readonly now: () => number,
  ) {}

  /** The last loaded value, undefined before the first load succeeded. */
  get current(): T | undefined {
    return this.value;
  }

  get loaded(): boolean {
    return this.at !== 0;
  }

  /** Whether the value was loaded more than `ms` ago (or never). */
  olderThan(ms: number): boolean {
    return this.now() - this.at > ms;
  }

  /** Loads now (joining a load under way); rejects when the load fails, keeping the old value. */
  refresh(): Promise<T> {
    this.inflight ??= this.load()
      .then((v) => {
        this.value = v;
        this.at = this.now();
        return v;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** Starts a background load when the value is older than `refreshMs`; its failure is ignored. */
  refreshIfStale(): void {
    if (this.now() - this.at > this.refreshMs) this.refresh().catch(() => {});
  }
}
