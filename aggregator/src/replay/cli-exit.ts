import { AggregatorError, NotQueryApiError, ReplayConflictError, ReplayTargetError, UnknownSiteError } from '../errors.js';

/** The replay CLI's exit codes, as its `--help` states them. */
export const EXIT_DONE = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_REFUSED = 3;

export const EXIT_CODES_HELP = `Exit 0 done; 1 failed (including a query API or NATS it could not reach: start it, or retry);
2 bad usage or settings: arguments (a range, an unknown --site) or where it looks for the data
(no way to reach it, no chDB directory, a URL that is not the query API): correct them and run
it again; 3 refused (an overlapping replay runs).`;

/**
 * 2 for what the user must correct before a retry can succeed (arguments, settings), 1 for a
 * failure a retry may get past, 3 for a refusal that ends when the other replay does.
 */
export function exitCodeOf(err: unknown): number {
  if (err instanceof ReplayConflictError) return EXIT_REFUSED;
  if (err instanceof ReplayTargetError || err instanceof NotQueryApiError || err instanceof UnknownSiteError) return EXIT_USAGE;
  // A range the manager (here or in the query API) refused.
  if (err instanceof AggregatorError && err.code === 'invalid_range') return EXIT_USAGE;
  return EXIT_FAILED;
}
