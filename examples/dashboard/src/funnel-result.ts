import { ApiError } from './errors.js';
import type { FunnelScope } from './funnel-state.js';
import { formatCount, formatPercent } from './format.js';
import { isObject } from './is-object.js';

/** One step of a `POST /v1/funnel` answer. */
export interface FunnelStepResult {
  label: string;
  /** Visits (scope `visit`) or visitors (scope `visitor`) that reached this step. */
  count: number;
  /** Percent of step 1's count, two decimals, as the API gives it. */
  conversionRate: number;
  /** Percent of the step before's count (step 1: as `conversionRate`). */
  conversionRateStep: number;
  /** How many the step before had that this one lost (0 for step 1). */
  dropoff: number;
}

export interface FunnelResult {
  scope: FunnelScope;
  steps: FunnelStepResult[];
  completeThrough: number | null;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function bad(what: string): ApiError {
  return new ApiError('bad_response', `Unexpected answer from the query API: ${what}.`, 200);
}

/** Reads the answer; the count is `visits` or `visitors` as `meta.scope` names it. */
export function parseFunnelResponse(json: unknown): FunnelResult {
  if (!isObject(json) || !Array.isArray(json.steps)) throw bad('no "steps" list');
  const meta = isObject(json.meta) ? json.meta : {};
  const scope: FunnelScope = meta.scope === 'visitor' ? 'visitor' : 'visit';
  const field = scope === 'visitor' ? 'visitors' : 'visits';
  const steps = json.steps.map((s, i): FunnelStepResult => {
    if (!isObject(s)) throw bad(`steps[${i}] is not an object`);
    const count = finite(s[field]);
    const conversionRate = finite(s.conversion_rate);
    const conversionRateStep = finite(s.conversion_rate_step);
    const dropoff = finite(s.dropoff);
    if (count === null || conversionRate === null || conversionRateStep === null || dropoff === null) throw bad(`steps[${i}] lacks its ${field} or rates`);
    return { label: typeof s.label === 'string' ? s.label : `Step ${i + 1}`, count, conversionRate, conversionRateStep, dropoff };
  });
  const ct = typeof meta.complete_through === 'string' ? Date.parse(meta.complete_through) : NaN;
  return { scope, steps, completeThrough: Number.isNaN(ct) ? null : ct };
}

/** What a count counts: "visit", "visitors". */
export function countUnit(n: number, scope: FunnelScope): string {
  return `${scope === 'visitor' ? 'visitor' : 'visit'}${n === 1 ? '' : 's'}`;
}

/** "1 visit", "1,234 visitors". */
export function countText(n: number, scope: FunnelScope): string {
  return `${formatCount(n)} ${countUnit(n, scope)}`;
}

/** A step as the panel shows it: the API's numbers as text, and its bar's parts in percent of step 1. */
export interface FunnelRow {
  step: number;
  label: string;
  count: string;
  /** Percent of step 1. */
  conversion: string;
  /** Percent of the step before; null for step 1, which has none. */
  fromPrevious: string | null;
  /** How many the step before lost, and that as a percent of it; null for step 1. */
  dropoff: string | null;
  dropoffRate: string | null;
  /** The bar: those who got here, then those lost since the step before, each in percent of step 1. */
  barKept: number;
  barLost: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The rows, from the API's numbers as it rounded them (rates with two decimals, shown so: 37.5%,
 * 66.67%). The drop-off rate is what the step before lost of its own, 100 − `conversion_rate_step`,
 * two decimals again; none where the step before had nobody.
 */
export function funnelRows(r: FunnelResult): FunnelRow[] {
  const first = r.steps[0]?.count ?? 0;
  return r.steps.map((s, i) => {
    const before = i > 0 ? r.steps[i - 1] : undefined;
    return {
      step: i + 1,
      label: s.label,
      count: formatCount(s.count),
      conversion: formatPercent(s.conversionRate),
      fromPrevious: before ? formatPercent(s.conversionRateStep) : null,
      dropoff: before ? formatCount(s.dropoff) : null,
      dropoffRate: before && before.count > 0 ? formatPercent(round2(100 - s.conversionRateStep)) : null,
      barKept: first > 0 ? Math.min(100, (s.count / first) * 100) : 0,
      barLost: first > 0 && before ? Math.min(100, (s.dropoff / first) * 100) : 0,
    };
  });
}

/**
 * The line over the steps: how many got through the whole funnel, of how many entered, and that
 * rate (the last step's `conversion_rate`). Null when nobody entered.
 */
export function funnelSummary(r: FunnelResult): string | null {
  const first = r.steps[0];
  const last = r.steps.at(-1);
  if (!first || !last || first.count === 0) return null;
  return `${formatCount(last.count)} of ${countText(first.count, r.scope)} completed the funnel (${formatPercent(last.conversionRate)}).`;
}
