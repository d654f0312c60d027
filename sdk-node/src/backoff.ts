/**
 * Delay before retry number `attempt` (1 = the first retry): exponential from
 * `minMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random) so a
 * fleet of clients that failed together does not come back together, yet no retry
 * comes sooner than half the nominal delay.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(maxMs, minMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * Retry-After in ms from either form of RFC 9110 (delay-seconds or an HTTP-date);
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // Anything else that starts like a number ("-5", "1e3") is neither form.
  if (/^[-+.\d]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The wait before the next attempt: the server's Retry-After when it gave one
 * (capped at `maxRetryAfterMs`, never shorter than the backoff), else the backoff.
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  opts: { backoffMinMs: number; backoffMaxMs: number; maxRetryAfterMs: number },
  random: () => number = Math.random,
): number {
  const backoff = backoffDelay(attempt, opts.backoffMinMs, opts.backoffMaxMs, random);
  if (retryAfterMs === undefined) return backoff;
  return Math.max(Math.min(retryAfterMs, opts.maxRetryAfterMs), backoff);
}
