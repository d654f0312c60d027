import type { SchemaInfo } from '../schema-probe.js';
import { mapStorageError, type QueryStorage } from '../storage.js';
import type { FunnelPlan } from './funnel-plan.js';
import { buildFunnelQuery } from './funnel-sql.js';

export interface FunnelStepResult {
  label: string;
  step: { page: string } | { event: string };
  /** Present by scope: `visits` or `visitors`. */
  visits?: number;
  visitors?: number;
  conversion_rate: number;
  conversion_rate_step: number;
  dropoff: number;
}

/** How many visits (or visitors) reached each step, in order: never increasing. */
export async function runFunnel(
  storage: QueryStorage,
  plan: FunnelPlan,
  opts: { settings: Record<string, string | number | boolean>; schema: SchemaInfo },
): Promise<number[]> {
  const q = buildFunnelQuery(plan, opts.schema);
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
 * The answer's steps. Step 1's rates are 100 once anyone entered (the base of every other rate)
 * and its dropoff is 0, as Plausible and PostHog show a funnel's first step.
 */
export function funnelSteps(plan: FunnelPlan, counts: readonly number[]): FunnelStepResult[] {
  const entered = counts[0] ?? 0;
  return plan.steps.map((s, i) => {
    const n = counts[i] ?? 0;
    const before = i === 0 ? entered : (counts[i - 1] ?? 0);
    return {
      label: s.label,
      step: s.kind === 'page' ? { page: s.value } : { event: s.value },
      ...(plan.scope === 'visit' ? { visits: n } : { visitors: n }),
      conversion_rate: percent(n, entered),
      conversion_rate_step: percent(n, before),
      dropoff: before - n,
    };
  });
}
