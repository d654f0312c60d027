import { ApiError } from './errors.js';
import type { FunnelScope } from './funnel-state.js';
import { formatChange, formatCount, formatPercent, type Change } from './format.js';
import { isObject } from './is-object.js';

/** A step's numbers over one period. */
export interface FunnelFigures {
  /** Visits (scope `visit`) or visitors (scope `visitor`) that reached this step. */
  count: number;
  /** Percent of step 1's count, two decimals, as the API gives it. */
  conversionRate: number;
  /** Percent of the step before's count (step 1: as `conversionRate`). */
  conversionRateStep: number;
  /** How many the step before had that this one lost (0 for step 1). */
  dropoff: number;
}

/** One step of a `POST /v1/funnel` answer. */
export interface FunnelStepResult extends FunnelFigures {
  label: string;
  /** The same step in the compared period, when the funnel was asked with `compare` (its `comparison`). */
  previous?: FunnelFigures;
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
  /** A step's figures (the step itself, or its `comparison`), or null when one is missing. */
  const figures = (o: Record<string, unknown>): FunnelFigures | null => {
    const count = finite(o[field]);
    const conversionRate = finite(o.conversion_rate);
    const conversionRateStep = finite(o.conversion_rate_step);
    const dropoff = finite(o.dropoff);
    if (count === null || conversionRate === null || conversionRateStep === null || dropoff === null) return null;
    return { count, conversionRate, conversionRateStep, dropoff };
  };
  const steps = json.steps.map((s, i): FunnelStepResult => {
    if (!isObject(s)) throw bad(`steps[${i}] is not an object`);
    const own = figures(s);
    if (!own) throw bad(`steps[${i}] lacks its ${field} or rates`);
    const step: FunnelStepResult = { label: typeof s.label === 'string' ? s.label : `Step ${i + 1}`, ...own };
    if (s.comparison !== undefined) {
      const previous = isObject(s.comparison) ? figures(s.comparison) : null;
      if (!previous) throw bad(`steps[${i}].comparison lacks its ${field} or rates`);
      step.previous = previous;
    }
    return step;
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
  /** With a comparison: what the step had in the compared period, and the change since. */
  compared?: FunnelRowComparison;
}

/**
 * A step against the compared period, as the cards show a metric against it: step 1 by its count
 * (its conversion is 100% whenever anyone entered), every later step by its conversion from step 1,
 * whose change is in percentage points.
 */
export interface FunnelRowComparison {
  /** "was 5 visits", "was 25%". */
  text: string;
  change: Change | null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function rowComparison(s: FunnelStepResult, first: boolean, scope: FunnelScope, against: string | undefined): FunnelRowComparison | undefined {
  const p = s.previous;
  if (!p) return undefined;
  if (first) return { text: `was ${countText(p.count, scope)}`, change: formatChange(scope === 'visitor' ? 'visitors' : 'visits', s.count, p.count, against) };
  return { text: `was ${formatPercent(p.conversionRate)}`, change: formatChange('conversion_rate', s.conversionRate, p.conversionRate, against) };
}

/**
 * The rows, from the API's numbers as it rounded them (rates with two decimals, shown so: 37.5%,
 * 66.67%). The drop-off rate is what the step before lost of its own, 100 − `conversion_rate_step`,
 * two decimals again; none where the step before had nobody. `against` names the compared period in
 * the changes' spoken labels ("yesterday until 09:00"), as the cards' do.
 */
export function funnelRows(r: FunnelResult, against?: string): FunnelRow[] {
  const first = r.steps[0]?.count ?? 0;
  return r.steps.map((s, i) => {
    const before = i > 0 ? r.steps[i - 1] : undefined;
    const compared = rowComparison(s, i === 0, r.scope, against);
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
      ...(compared ? { compared } : {}),
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
