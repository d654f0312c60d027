import { explicitRange, type Range } from './date-range.js';
import { previousPeriod } from './previous-period.js';

/** `compare` as a request gives it (`schema.ts`), on `/v1/query` and `/v1/funnel` alike. */
export type CompareInput = 'previous_period' | { from: string; to: string };

/**
 * The range a request's `compare` names, resolved in the request's zone, or undefined without one:
 * one rule for every route that compares, so a funnel and a report over the same period are
 * compared with the same span and refused with the same `400 compare…` messages.
 */
export function planCompare(input: CompareInput | undefined, range: Range, timezone: string): Range | undefined {
  if (input === undefined) return undefined;
  if (input === 'previous_period') return previousPeriod(range, timezone);
  return explicitRange(input, 'compare');
}
