/** A failed call to the query API, with what the dashboard needs to tell the merchant. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The API's error code (`unauthorized`, `rate_limited`…), or `network` / `bad_response`. */
    readonly code: string,
    message: string,
    /** HTTP status, 0 when the request never got an answer. */
    readonly status: number,
    readonly retryAfterSeconds: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The read key is unknown or revoked: the dashboard signs out. */
  get isAuth(): boolean {
    return this.status === 401;
  }
}

/** Text for an error panel: what happened and, when there is one, what to do. */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong while showing this panel.';
  if (err.code === 'network') return 'Cannot reach the query API. Check your connection and retry.';
  if (err.status === 401) return 'This read key is not valid (unknown or revoked).';
  if (err.status === 404) return 'This site does not exist or your read key cannot see it.';
  if (err.status === 429) {
    const wait = err.retryAfterSeconds !== null ? ` Try again in ${err.retryAfterSeconds} s.` : '';
    return `Too many requests for this read key.${wait}`;
  }
  if (err.status >= 500) return `The query API failed (${err.status}): ${err.message}`;
  return err.message;
}
