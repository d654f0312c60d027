/** Settles as `p` does, or rejects with `onTimeout()` once `ms` have passed first (`p` itself runs on). */
export function within<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(onTimeout()), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Drains a connection (a nats.js one, or anything shaped like it) for at most `ms`, else closes it:
 * a connection that never reached a server has nothing to drain and would wait for one.
 */
export async function drainWithin(nc: { drain(): Promise<void>; close(): Promise<void> }, ms: number): Promise<void> {
  await within(nc.drain(), ms, () => new Error('drain timed out')).catch(() => nc.close());
}
