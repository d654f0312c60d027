import { isTimeDimension } from './catalog.js';
import type { QueryPlan } from './plan.js';

/**
 * Top-N by visitors (or visits) from a rollup without merging every group's sketch.
 *
 * A page breakdown over 30 days reads one sketch per (page, day): 300,000 of them for a site with
 * 10,000 pages, and deserialising them is nearly all of the query's time. A group cannot have more
 * visitors (or visits) than events on it, and its events are a cheap sum. So the groups with the
 * most events are fetched first (the candidates); the sketches are merged for those only; the
 * answer stands if the last row it needs beats, by a margin, the events of the best group left
 * out. Otherwise the full query runs. The margin covers the sketch's error (the estimate of a
 * large set may exceed its true size: standard error ~1.6%, the margin is more than six times
 * that), so the rows returned are the full query's rows, with the same numbers, since each
 * group's estimate comes from the same states either way.
 */
export const DEFAULT_MIN_CANDIDATES = 50;
/** Candidates per row the page needs (offset + limit + 1). */
export const CANDIDATES_PER_ROW = 4;
/** How far above the best excluded group's events the last needed row's estimate must be. */
export const SKETCH_BOUND_MARGIN = 0.1;

const BOUNDED_BY_EVENTS = new Set(['visitors', 'visits']);

/**
 * Whether a breakdown read from a rollup may be answered from candidates: one non-time dimension,
 * ordered first by visitors or visits, descending (the dashboard's top lists).
 */
export function prunable(plan: QueryPlan, order: readonly [string, 'asc' | 'desc'][]): boolean {
  const first = order[0];
  return (
    plan.dimensions.length === 1 &&
    !isTimeDimension(plan.dimensions[0] ?? '') &&
    first !== undefined &&
    first[1] === 'desc' &&
    BOUNDED_BY_EVENTS.has(first[0]) &&
    plan.metrics.includes(first[0] as never)
  );
}

export function candidateCount(plan: QueryPlan, minCandidates: number): number {
  return Math.max(minCandidates, CANDIDATES_PER_ROW * (plan.offset + plan.limit + 1));
}

/**
 * Whether rows fetched among the candidates are the full answer: the page is whole, and its last
 * row's value of the ordering metric exceeds what any excluded group could reach.
 */
export function candidatesSuffice(lastValue: number | undefined, excludedEvents: number): boolean {
  return lastValue !== undefined && lastValue > excludedEvents * (1 + SKETCH_BOUND_MARGIN);
}
