import type { MetricName } from './catalog.js';

/** Metrics that are percentages already: their change is a difference in points, not a percent of a percent. */
export const POINT_METRICS: ReadonlySet<MetricName> = new Set(['bounce_rate', 'conversion_rate']);

/** How a value's change is told: a percent of the previous value, or for percentages a difference in points. */
export type ChangeKind = 'percent' | 'points';

/**
 * What `comparison.change` holds, word for word in the OpenAPI document, naming the fields that
 * are percentages. A change from 0 to 0 is no change (0, as Plausible shows it); from 0 to anything
 * else no percentage exists (null).
 */
export function changeRule(pointFields: string): string {
  return `\`change\` is the percent change from the previous value, rounded to 1 decimal, or for ${pointFields} the difference in percentage points, rounded to 2 decimals. When the previous value is 0 (percent change only): 0 if the current value is 0 too, null otherwise.`;
}

export const CHANGE_RULE = changeRule('bounce_rate and conversion_rate');

export function changeBy(kind: ChangeKind, cur: number, prev: number): number | null {
  if (kind === 'points') return Math.round((cur - prev) * 100) / 100;
  if (prev === 0) return cur === 0 ? 0 : null;
  return Math.round(((cur - prev) / prev) * 1000) / 10;
}

export function change(metric: MetricName, cur: number, prev: number): number | null {
  return changeBy(POINT_METRICS.has(metric) ? 'points' : 'percent', cur, prev);
}
