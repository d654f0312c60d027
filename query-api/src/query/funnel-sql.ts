import type { SchemaInfo } from '../schema-probe.js';
import type { Range } from './date-range.js';
import { SESSION_DIMENSIONS } from './catalog.js';
import type { FunnelPlan, FunnelStep } from './funnel-plan.js';
import { EVENTS_TABLE, Params, baseWhere, filterExpr, filterOn, globToLike, sessionColumns, type Ctx } from './sql.js';

/**
 * A visit lies within one UTC day (it ends at midnight UTC, sql.ts), so as a window a day never
 * cuts one short: within a visit, any order of steps counts, however long it took.
 */
export const VISIT_WINDOW_MS = 86_400_000;

/** windowFunnel takes unsigned integers or whole seconds; milliseconds keep the order of events a second apart. */
const TS_MS = 'toUInt64(toUnixTimestamp64Milli(ts))';
/**
 * Each step strictly after the one before: without it, one event matching two consecutive steps
 * (`/blog/*` then `/blog/post-1`) counts as both, and a visit of a single page would pass two steps.
 * The price: two events of the same millisecond are never consecutive steps.
 */
const MODE = "'strict_increase'";
/** The visit of an event, as every raw route groups them (a session's events on one UTC day). */
const VISIT = 'session_id, toDate(ts)';

/** Whether an event is this step: a pageview of the path (pattern), or an event of the name. */
export function stepCondition(step: FunnelStep, p: Params): string {
  if (step.kind === 'event') return `name = ${p.add('String', step.value)}`;
  // Without `*` the pattern is the path itself: an equality, which needs no LIKE escaping.
  const path = step.value.includes('*') ? `path LIKE ${p.add('String', globToLike(step.value))}` : `path = ${p.add('String', step.value)}`;
  return `(name = 'pageview' AND ${path})`;
}

export interface BuiltFunnel {
  sql: string;
  params: Record<string, unknown>;
  /** Column aliases of the counts, step by step: how many visits (visitors) reached step i or further. */
  aliases: string[];
}

/**
 * One statement: the events that match any step (and the filters) grouped by visit or visitor,
 * each group's furthest step in order from ClickHouse's `windowFunnel`, then how many groups got
 * to each step or beyond. Filters on visit attributes (entry page, source, UTM) keep the events of
 * the visits whose attributes pass, computed from each whole visit in the range as the raw
 * `/v1/query` shapes compute them (sql.ts sessionColumns). `range` is the plan's, or with `compare`
 * the compared one: the same steps and filters over another span.
 */
export function buildFunnelQuery(plan: FunnelPlan, schema: SchemaInfo, range: Range = plan.range): BuiltFunnel {
  const p = new Params();
  // `tz` only places time buckets, which no filter names (the schema refuses time:* filters).
  const c: Ctx = { p, tz: "'UTC'", e: '' };
  const conditions = plan.steps.map((s) => stepCondition(s, p));
  const eventFilters = plan.filters.filter((f) => !SESSION_DIMENSIONS.has(f.dimension));
  const visitFilters = plan.filters.filter((f) => SESSION_DIMENSIONS.has(f.dimension));
  const where = [
    ...baseWhere(plan, range, c),
    // Events that match no step cannot move a funnel: leaving them out keeps the grouping small.
    `(${conditions.join(' OR ')})`,
    ...eventFilters.map((f) => filterExpr(f, c)),
  ];
  if (visitFilters.length > 0) {
    const attributes = sessionColumns(schema);
    const kept = visitFilters.map((f) => {
      const expr = attributes[f.dimension];
      if (expr === undefined) throw new Error(`no visit attribute ${f.dimension}`);
      return filterOn(expr, f, p);
    });
    where.push(
      `(${VISIT}) IN (\n      SELECT ${VISIT} FROM ${EVENTS_TABLE}\n      WHERE ${baseWhere(plan, range, c).join(' AND ')}\n      GROUP BY ${VISIT}\n      HAVING ${kept.join(' AND ')}\n    )`,
    );
  }
  const windowMs = p.add('UInt64', plan.windowMs ?? VISIT_WINDOW_MS);
  const groupBy = plan.scope === 'visit' ? VISIT : 'visitor_id';
  const inner =
    `SELECT windowFunnel(${windowMs}, ${MODE})(${TS_MS}, ${conditions.join(', ')}) AS level\n  FROM ${EVENTS_TABLE}\n` +
    `  WHERE ${where.join('\n    AND ')}\n  GROUP BY ${groupBy}`;
  const aliases = plan.steps.map((_, i) => `s${i + 1}`);
  const counts = aliases.map((a, i) => `countIf(level >= ${i + 1}) AS ${a}`);
  return { sql: `SELECT ${counts.join(', ')}\nFROM (\n  ${inner}\n)`, params: p.values, aliases };
}
