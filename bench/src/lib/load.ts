/** Latencies grouped by what each call reported (e.g. the `x-cache` header), in ms. */
export interface LoadResult {
  byTag: Record<string, number[]>;
  latenciesMs: number[];
  errors: number;
  elapsedMs: number;
}

function recorder() {
  const byTag: Record<string, number[]> = {};
  const all: number[] = [];
  return {
    byTag,
    all,
    add(tag: string, ms: number) {
      (byTag[tag] ??= []).push(ms);
      all.push(ms);
    },
  };
}

/**
 * `concurrency` clients, each sending its next call as soon as the previous one answered (a
 * closed loop, like dashboards waiting on their reports), for `durationMs`.
 */
export async function closedLoop(o: { concurrency: number; durationMs: number; run: (i: number) => Promise<string> }): Promise<LoadResult> {
  const rec = recorder();
  let errors = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          rec.add(await o.run(i++), performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { byTag: rec.byTag, latenciesMs: rec.all, errors, elapsedMs: performance.now() - t0 };
}

/**
 * Like `closedLoop`, but the clients share a finite list of distinct calls: one round sends each
 * once, then `between()` runs with every client idle (e.g. to empty a cache) before the next round.
 */
export async function roundsLoop<T>(o: { concurrency: number; durationMs: number; items: readonly T[]; between: () => Promise<void>; run: (item: T) => Promise<string> }): Promise<LoadResult & { rounds: number }> {
  const rec = recorder();
  let errors = 0;
  let rounds = 0;
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  while (performance.now() < end) {
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < o.items.length && performance.now() < end) {
          const item = o.items[next++] as T;
          const t = performance.now();
          try {
            rec.add(await o.run(item), performance.now() - t);
          } catch {
            errors++;
          }
        }
      }),
    );
    rounds++;
    await o.between();
  }
  return { byTag: rec.byTag, latenciesMs: rec.all, errors, elapsedMs: performance.now() - t0, rounds };
}
