import type { SchemaInfo } from '../schema-probe.js';
import { mapStorageError, type QueryStorage } from '../storage.js';
import { changeBy } from './change.js';
import type { Range } from './date-range.js';
import type { FunnelPlan, FunnelScope } from './funnel-plan.js';
import { FUNNEL_POINT_FIGURES } from './funnel-schema.js';
import { buildFunnelQuery } from './funnel-sql.js';

/** The count of a step, named by scope: `visits` (scope `visit`) or `visitors` (scope `visitor`). */
export type CountField = 'visits' | 'visitors';

export function countField(scope: FunnelScope): CountField {
  return scope === 'visit' ? 'visits' : 'visitors';
}

/** A step's numbers over one range. */
export type StepFigures = Partial<Record<CountField, number>> & {
  conversion_rate: number;
  conversion_rate_step: number;
  dropoff: number;
};

/**
 * With `compare`: the step's numbers over the compared range, and each one's change, named as the
 * figures are (`/v1/query`'s `comparison` holds `metrics` and `change` in the order of `metrics`;
 * a step's figures are named fields, so its changes are too).
 */
export type StepComparison = StepFigures & { change: Partial<Record<keyof StepFigures, number | null>> };

export type FunnelStepResult = StepFigures & {
  label: string;
  step: { page: string } | { event: string };
  comparison?: StepComparison;
};

/** How many visits (or visitors) reached each step, in order: never increasing. */
export async function runFunnel(
  storage: QueryStorage,
  plan: FunnelPlan,
  opts: { settings: Record<string, string | number | boolean>; schema: SchemaInfo },
  range: Range = plan.range,
): Promise<number[]> {
  const q = buildFunnelQuery(plan, opts.schema, range);
  let rows: Record<string, unknown>[];
  try {
    rows = await storage.query<Record<string, unknown>>(q.sql, q.params, opts.settings);
  } catch (err) {
    mapStorageError(err);
  }
  const row = rows[0] ?? {};
  return q.aliases.map((a) => {
    const n = Number(row[a]);
    return Number.isFinite(n) ? n : 0;
  });
}

/** `part` of `whole` in percent, 2 decimals like every rate of the API; 0 of nothing is 0. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((10_000 * part) / whole) / 100;
}

/**
 * Each step's figures. Step 1's rates are 100 once anyone entered (the base of every other rate)
 * and its dropoff is 0, as Plausible and PostHog show a funnel's first step.
 */
function stepFigures(scope: FunnelScope, counts: readonly number[]): StepFigures[] {
  const entered = counts[0] ?? 0;
  return counts.map((n, i) => {
    const before = i === 0 ? entered : (counts[i - 1] ?? 0);
    return { [countField(scope)]: n, conversion_rate: percent(n, entered), conversion_rate_step: percent(n, before), dropoff: before - n };
  });
}

/** The compared figures and the change of each, as `/v1/query`'s `comparison.change` computes it. */
function comparison(current: StepFigures, previous: StepFigures): StepComparison {
  const change: Record<string, number | null> = {};
  for (const [name, prev] of Object.entries(previous) as [keyof StepFigures, number][]) {
    change[name] = changeBy(FUNNEL_POINT_FIGURES.has(name) ? 'points' : 'percent', current[name] ?? 0, prev);
  }
  return { ...previous, change };
}

/**
 * The answer's steps; with the compared range's counts (`compare`), each step carries its
 * `comparison`. Every step has a counterpart there: the same step of the same funnel.
 */
export function funnelSteps(plan: FunnelPlan, counts: readonly number[], compared?: readonly number[]): FunnelStepResult[] {
  const current = stepFigures(plan.scope, plan.steps.map((_, i) => counts[i] ?? 0));
  const previous = compared && stepFigures(plan.scope, plan.steps.map((_, i) => compared[i] ?? 0));
  return plan.steps.map((s, i) => {
    const figures = current[i] as StepFigures;
    const prev = previous?.[i];
    return {
      label: s.label,
      step: s.kind === 'page' ? { page: s.value } : { event: s.value },
      ...figures,
      ...(prev ? { comparison: comparison(figures, prev) } : {}),
    };
  });
}
