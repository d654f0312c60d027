import type { SchemaInfo } from '../schema-probe.js';
import { SESSION_DIMENSIONS, SESSION_METRICS } from './catalog.js';
import type { QueryPlan } from './plan.js';
import {
  EVENTS_TABLE,
  Params,
  baseWhere,
  dimensionExpr,
  filterExpr,
  filterOn,
  flatMetric,
  goalCondition,
  groupTail,
  needsSessions,
  sessionMetric,
  splitGoal,
  type BuildOptions,
  type BuiltQuery,
  type Ctx,
} from './sql.js';
import { wantsTimeOnPage } from './time-on-page.js';
import { VISITS_TABLE, VISIT_KEY, layoutOf, visitRows } from './visits.js';

/**
 * Reports that mix visits with events (the dashboard's panels once a filter is set: top pages of
 * visits from Google, sources of visits from Germany, bounce rate of visits that saw /pricing,
 * visits by hour) group the matching events by visit and take each visit's whole shape and
 * attributes from the table of visits (visits.ts), where raw events would group every event of
 * the range by visit first (2-4x the work at 10,000,000 events, docs/BENCHMARKS.md).
 */

/** What `meta.source_table` says for these reports. */
export const VISITS_JOIN_TABLE = `${EVENTS_TABLE}+${VISITS_TABLE}`;

/**
 * Whether events joined to the table of visits give this plan's raw numbers: a report that needs
 * visits whose visit attributes are all kept by the table (with bots only from migration 0009 on,
 * see visits.ts). Time buckets come from the events, so they may be hours or local days.
 */
export function visitsJoinAnswer(plan: QueryPlan, schema: SchemaInfo): boolean {
  const layout = layoutOf(schema);
  if (!layout || (plan.includeBots && !layout.merged) || !needsSessions(plan)) return false;
  // Time on page needs every pageview of a visit in order, which no row of the table keeps (time-on-page.ts).
  if (wantsTimeOnPage(plan.metrics)) return false;
  const attributes = [...plan.dimensions, ...plan.filters.map((f) => f.dimension)].filter((d) => SESSION_DIMENSIONS.has(d));
  return attributes.every((d) => layout.columns[d] !== undefined);
}

export function buildVisitsJoinQuery(plan: QueryPlan, opts: BuildOptions): BuiltQuery {
  const p = opts.params ?? new Params();
  const c: Ctx = { p, tz: p.add('String', plan.timezone), e: '' };
  const { where, goal } = splitGoal(plan);
  const visitFilters = where.filter((f) => SESSION_DIMENSIONS.has(f.dimension));
  const eventFilters = where.filter((f) => !SESSION_DIMENSIONS.has(f.dimension));
  const g = goalCondition(goal, c);
  const visitAttributes = new Set(plan.dimensions.filter((d) => SESSION_DIMENSIONS.has(d)));
  // The visit's row is needed for its shape or attributes; filters on attributes alone only narrow the events.
  const join = visitAttributes.size > 0 || plan.metrics.some((m) => SESSION_METRICS.has(m));
  /** The range's visits that pass the attribute filters, with the named columns. */
  const visits = (names: string[]) => {
    const filtered = new Set(visitFilters.map((f) => `s_${f.dimension}`));
    const rows = visitRows(plan, opts.range, p, opts.schema, [...new Set([...names, ...filtered])]);
    if (visitFilters.length === 0) return rows;
    const kept = visitFilters.map((f) => filterOn(`s_${f.dimension}`, f, p)).join(' AND ');
    return `SELECT ${names.join(', ')} FROM (\n  ${rows}\n  ) WHERE ${kept}`;
  };

  const eventDims = plan.dimensions.flatMap((d, i) => (SESSION_DIMENSIONS.has(d) ? [] : [{ i, expr: dimensionExpr(d, c) }]));
  const eventWhere = [...baseWhere(plan, opts.range, c), ...eventFilters.map((f) => filterExpr(f, c))];
  const den = opts.conversionDenominator === undefined ? undefined : p.add('UInt64', opts.conversionDenominator);
  const dimensionAliases = plan.dimensions.map((_, i) => `d${i}`);
  const metricAliases = plan.metrics.map((m) => `m_${m}`);
  // With a goal, groups without a conversion are left out, as on raw events.
  const having = goal.length > 0 ? [`countIf(${join ? 'hit' : g}) > 0`] : [];

  let sql: string;
  if (!join) {
    // No dimension or metric of whole visits: count the events of the visits the filters keep, with no grouping by visit.
    eventWhere.push(`${VISIT_KEY.raw} IN (\n  ${visits(['k'])}\n  )`);
    const select = [...eventDims.map((d) => `${d.expr} AS d${d.i}`), ...plan.metrics.map((m, i) => `${flatMetric(m, g, den)} AS ${metricAliases[i]}`)];
    sql = `SELECT ${select.join(', ')}\nFROM ${EVENTS_TABLE}\nWHERE ${eventWhere.join('\n  AND ')}`;
  } else {
    const perVisit = [
      ...eventDims.map((d) => `${d.expr} AS e${d.i}`),
      `${VISIT_KEY.raw} AS k`,
      'any(visitor_id) AS vid',
      `countIf(${g} AND name = 'pageview') AS pv`,
      `countIf(${g}) AS ev`,
      `sumIf(revenue_amount, ${g}) AS rev`,
      `max(${g}) AS hit`,
    ];
    const groupKeys = [...eventDims.map((d) => `e${d.i}`), 'k'];
    const visitSide = visits(['k', 'spv', 'sev', 'sdur', ...[...visitAttributes].map((d) => `s_${d}`)]);
    const select = [
      ...plan.dimensions.map((d, i) => `${SESSION_DIMENSIONS.has(d) ? `v.s_${d}` : `x.e${i}`} AS d${i}`),
      ...plan.metrics.map((m, i) => `${sessionMetric(m, den)} AS ${metricAliases[i]}`),
    ];
    sql =
      `SELECT ${select.join(', ')}\nFROM (\n  SELECT ${perVisit.join(', ')}\n  FROM ${EVENTS_TABLE}\n  WHERE ${eventWhere.join('\n    AND ')}\n  GROUP BY ${groupKeys.join(', ')}\n) AS x` +
      `\nINNER JOIN (\n  ${visitSide}\n) AS v ON x.k = v.k`;
  }
  if (plan.dimensions.length > 0) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  sql += groupTail(plan, opts, p, having);
  return { sql, params: p.values, dimensionAliases, metricAliases };
}
