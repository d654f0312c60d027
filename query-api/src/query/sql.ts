import { SESSION_DIMENSIONS, SESSION_METRICS, isTimeDimension, type Dimension, type MetricName } from './catalog.js';
import type { Filter, QueryPlan, Range } from './plan.js';
import type { SchemaInfo } from '../schema-probe.js';
import type { RollupChoice } from './rollups.js';
import { GAP, TIME_ON_PAGE_OF_SUMS, pageviewGaps, timeOnPageMean, timeOnPageSums, wantsTimeOnPage } from './time-on-page.js';

/**
 * SQL for a query plan. Every value from a request travels as a ClickHouse query parameter
 * (`{p0:String}`); the only text spliced into SQL comes from the fixed tables below, chosen by
 * names the schema has already checked against closed lists.
 */
export class Params {
  readonly values: Record<string, unknown> = {};
  private n = 0;
  add(type: string, value: unknown): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

export const EVENTS_TABLE = 'events';

/** `2026-01-01 00:00:00.000`, the text form a DateTime64(3, 'UTC') parameter parses. */
export function chDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

const EVENT_COLUMNS: Record<string, string> = {
  page: 'path',
  event_name: 'name',
  country: 'country',
  device: 'device',
  browser: 'browser',
  os: 'os',
  revenue_currency: 'revenue_currency',
};

const DIRECT_SOURCE = 'Direct / None';

/**
 * A visit is a session's events on one UTC day: it ends at midnight UTC for every site, whatever
 * its time zone (Universal Analytics ended sessions at the view's local midnight; one fixed day
 * boundary is what lets the aggregator's `rollup_visits_day` hold one row per visit and day, see
 * visits.ts, and give the same numbers as raw events).
 */
const visitDay = (e = '') => `toDate(${e}ts)`;

/**
 * The value of `column` at the visit's first (or last) event, built as the aggregator's visits
 * table keeps it (visits.ts): the time as 12 hex digits, then the value, so ties between events of
 * the same millisecond go to the smaller value on both.
 */
const atMs = (column: string) => `concat(leftPad(hex(toUnixTimestamp64Milli(ts)), 12, '0'), ${column})`;
/** The value of a time-prefixed attribute (atMs): what follows its 12 hex digits. */
export const attributeValue = (prefixed: string) => `substring(${prefixed}, 13)`;
const firstOf = (column: string) => attributeValue(`min(${atMs(column)})`);
const lastOf = (column: string) => attributeValue(`max(${atMs(column)})`);
/** A visit's source, 'Direct / None' when it has none. */
export const sourceOrDirect = (source: string) => `if(${source} != '', ${source}, '${DIRECT_SOURCE}')`;

/**
 * Session attributes: the session's first (or last) event decides them (firstOf, lastOf). `source` is the
 * aggregator's enriched column (search engines and social sites named) when the schema has it;
 * before that migration, the utm_source or the external referrer host.
 */
export function sessionColumns(schema: SchemaInfo): Record<string, string> {
  const source = schema.eventColumns.has('source')
    ? sourceOrDirect(firstOf('source'))
    : `argMin(multiIf(utm_source != '', utm_source, referrer_host != '' AND referrer_host != hostname, referrer_host, '${DIRECT_SOURCE}'), ts)`;
  return {
    entry_page: firstOf('path'),
    exit_page: lastOf('path'),
    referrer: firstOf('referrer'),
    source,
    utm_source: firstOf('utm_source'),
    utm_medium: firstOf('utm_medium'),
    utm_campaign: firstOf('utm_campaign'),
  };
}

export function timeBucketExpr(dim: string, ts: string, tz: string): string {
  const local = `toTimeZone(${ts}, ${tz})`;
  switch (dim) {
    case 'time:minute':
      return `toUnixTimestamp(toStartOfMinute(${ts}))`;
    case 'time:hour':
      return `toUnixTimestamp(toStartOfHour(${local}))`;
    case 'time:day':
      return `toUnixTimestamp(toStartOfDay(${local}))`;
    case 'time:week':
      return `toUnixTimestamp(toDateTime(toMonday(${local}), ${tz}))`;
    default:
      return `toUnixTimestamp(toDateTime(toStartOfMonth(${local}), ${tz}))`;
  }
}

export interface Ctx {
  p: Params;
  tz: string;
  /** Table alias prefix for event columns: `` or `e.`. */
  e: string;
}

export function dimensionExpr(dim: Dimension, c: Ctx): string {
  if (isTimeDimension(dim)) return timeBucketExpr(dim, `${c.e}ts`, c.tz);
  if (dim.startsWith('prop:')) return `${c.e}props[${c.p.add('String', dim.slice(5))}]`;
  if (SESSION_DIMENSIONS.has(dim)) return `s.s_${dim}`;
  const col = EVENT_COLUMNS[dim];
  if (col === undefined) throw new Error(`no column for dimension ${dim}`);
  return `${c.e}${col}`;
}

/** `*` is any run of characters; every other character stands for itself. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (ch) => `\\${ch}`).replace(/\*/g, '%');
}

/**
 * A filter over the column expression `x`. Ignoring case (`ignoreCase`), both sides are lower-cased
 * by ClickHouse (`lowerUTF8`), the values inside SQL too, so they stay parameters and are folded by
 * the same rule as the column: every op keeps its meaning on the lowered strings (`matches` without
 * `*` is still `is`; `contains x` is still `matches *x*`). The lambda's `fv` names no column or alias.
 */
export function filterOn(x: string, f: Filter, p: Params): string {
  const ci = f.ignoreCase === true;
  const value = ci ? `lowerUTF8(${x})` : x;
  const list = () => {
    const values = p.add('Array(String)', f.values);
    return ci ? `arrayMap(fv -> lowerUTF8(fv), ${values})` : values;
  };
  switch (f.op) {
    case 'is':
      return `${value} IN ${list()}`;
    case 'is_not':
      return `${value} NOT IN ${list()}`;
    case 'contains':
      return `multiSearchAny(${value}, ${list()})`;
    case 'matches':
      return `(${f.values
        .map((v) => {
          const pattern = p.add('String', globToLike(v));
          return `${value} LIKE ${ci ? `lowerUTF8(${pattern})` : pattern}`;
        })
        .join(' OR ')})`;
  }
}

export function filterExpr(f: Filter, c: Ctx): string {
  return filterOn(dimensionExpr(f.dimension, c), f, c.p);
}

export function needsSessions(plan: QueryPlan): boolean {
  return (
    plan.metrics.some((m) => SESSION_METRICS.has(m)) ||
    plan.dimensions.some((d) => SESSION_DIMENSIONS.has(d)) ||
    plan.filters.some((f) => SESSION_DIMENSIONS.has(f.dimension))
  );
}

/** The goal's condition over the columns `c` names, or `1` without a goal (splitGoal). */
export function goalCondition(goal: readonly Filter[], c: Ctx): string {
  return goal.length === 0 ? '1' : `(${goal.map((f) => filterExpr(f, c)).join(' AND ')})`;
}

/** With conversion_rate, positive event_name filters define the goal instead of narrowing the rows. */
export function splitGoal(plan: QueryPlan): { where: Filter[]; goal: Filter[] } {
  if (!plan.metrics.includes('conversion_rate')) return { where: plan.filters, goal: [] };
  const isGoal = (f: Filter) => f.dimension === 'event_name' && f.op !== 'is_not';
  return { where: plan.filters.filter((f) => !isGoal(f)), goal: plan.filters.filter(isGoal) };
}

export function baseWhere(plan: Pick<QueryPlan, 'siteId' | 'includeBots'>, range: Range, c: Ctx): string[] {
  const w = [
    `${c.e}site_id = ${c.p.add('String', plan.siteId)}`,
    `${c.e}ts >= ${c.p.add("DateTime64(3, 'UTC')", chDateTime(range.fromMs))}`,
    `${c.e}ts < ${c.p.add("DateTime64(3, 'UTC')", chDateTime(range.toMs))}`,
  ];
  if (!plan.includeBots) w.push(`${c.e}is_bot = 0`);
  return w;
}

const round2 = (x: string) => `round(${x}, 2)`;
const ratio = (num: string, den: string) => `if(${den} = 0, 0, ${round2(`100 * ${num} / ${den}`)})`;

/** Metric expressions over raw events, when no session shape is needed. `G` is the goal condition. */
export function flatMetric(m: MetricName, g: string, den: string | undefined): string {
  // Without a goal the -If combinators are dropped: plain aggregates take ClickHouse's fastest paths.
  const all = g === '1';
  switch (m) {
    case 'visitors':
      return all ? 'uniq(visitor_id)' : `uniqIf(visitor_id, ${g})`;
    case 'visits':
      return all ? `uniqExact(session_id, ${visitDay()})` : `uniqExactIf(session_id, ${visitDay()}, ${g})`;
    case 'pageviews':
      return all ? "countIf(name = 'pageview')" : `countIf(${g} AND name = 'pageview')`;
    case 'events':
      return all ? 'count()' : `countIf(${g})`;
    case 'revenue':
      return `round(${all ? 'sum(revenue_amount)' : `sumIf(revenue_amount, ${g})`}, 2)`;
    case 'conversion_rate':
      return ratio(`uniqIf(visitor_id, ${g})`, den ?? 'uniq(visitor_id)');
    case 'time_on_page':
      return timeOnPageMean(g);
    default:
      throw new Error(`${m} needs sessions`);
  }
}

/** Metric expressions over one row per (dimensions, visit) made by the inner query. */
export function sessionMetric(m: MetricName, den: string | undefined): string {
  switch (m) {
    case 'visitors':
      return 'uniqIf(vid, hit)';
    case 'visits':
      return 'countIf(hit)';
    case 'pageviews':
      return 'sum(pv)';
    case 'events':
      return 'sum(ev)';
    case 'revenue':
      return 'round(sum(rev), 2)';
    case 'bounce_rate':
      return ratio('countIf(hit AND spv = 1 AND sev = 1)', 'countIf(hit)');
    case 'visit_duration':
      return `if(countIf(hit) = 0, 0, ${round2('avgIf(sdur, hit)')})`;
    case 'views_per_visit':
      return `if(countIf(hit) = 0, 0, ${round2('avgIf(spv, hit)')})`;
    case 'conversion_rate':
      return ratio('uniqIf(vid, hit)', den ?? 'uniq(vid)');
    case 'time_on_page':
      return TIME_ON_PAGE_OF_SUMS;
  }
}

/** HAVING (extra conditions and the comparison groups), ORDER BY and LIMIT over `d<i>`/`m_<metric>` aliases. */
export function groupTail(plan: QueryPlan, opts: BuildOptions, p: Params, having: string[]): string {
  if (plan.dimensions.length === 0) return '';
  let sql = '';
  const conds = [...having];
  if (opts.onlyGroups) {
    const columns = plan.dimensions.map((_, i) => p.add('Array(String)', opts.onlyGroups!.map((t) => t[i] ?? '')));
    const keys = plan.dimensions.map((d, i) => (isTimeDimension(d) ? `toString(d${i})` : `d${i}`));
    conds.push(columns.length === 1 ? `has(${columns[0]}, ${keys[0]})` : `has(arrayZip(${columns.join(', ')}), tuple(${keys.join(', ')}))`);
  }
  if (conds.length > 0) sql += `\nHAVING ${conds.join(' AND ')}`;
  if (opts.page) {
    const alias = (field: string) => {
      const mi = plan.metrics.indexOf(field as MetricName);
      return mi >= 0 ? `m_${field}` : `d${plan.dimensions.indexOf(field as Dimension)}`;
    };
    const order = opts.page.orderBy.map(([f, dir]) => `${alias(f)} ${dir === 'asc' ? 'ASC' : 'DESC'}`);
    // Every dimension as a tie-breaker: pages of a paginated answer never overlap or skip rows.
    plan.dimensions.forEach((_, i) => {
      if (!opts.page!.orderBy.some(([f]) => alias(f) === `d${i}`)) order.push(`d${i} ASC`);
    });
    sql += `\nORDER BY ${order.join(', ')}`;
    sql += `\nLIMIT ${p.add('UInt32', opts.page.limit)} OFFSET ${p.add('UInt32', opts.page.offset)}`;
  }
  return sql;
}

/**
 * The event columns a query with time_on_page takes from its pageviews (time-on-page.ts), beside
 * the gap: those its dimensions, filters and metrics name, and with visits (`joined`) those every
 * per-visit row counts. Only these are read, besides the window's own.
 */
export function gapColumns(plan: QueryPlan, joined: boolean): string[] {
  const columns = new Set(['session_id', 'ts', 'name']);
  for (const d of [...plan.dimensions, ...plan.filters.map((f) => f.dimension)]) {
    const col = d.startsWith('prop:') ? 'props' : EVENT_COLUMNS[d];
    if (col !== undefined) columns.add(col);
  }
  if (joined || plan.metrics.includes('visitors')) columns.add('visitor_id');
  if (joined || plan.metrics.includes('revenue')) columns.add('revenue_amount');
  return [...columns];
}

export interface BuiltQuery {
  sql: string;
  params: Record<string, unknown>;
  /** Column aliases of the dimensions (`d0`...) and metrics (`m_visitors`...) in the rows. */
  dimensionAliases: string[];
  metricAliases: string[];
}

export interface BuildOptions {
  range: Range;
  schema: SchemaInfo;
  /** Answer from this rollup table instead of raw events (see rollups.ts). */
  rollup?: RollupChoice;
  /** ORDER BY / LIMIT / OFFSET in SQL; omitted when the caller sorts and pages itself. */
  page?: { orderBy: [string, 'asc' | 'desc'][]; limit: number; offset: number };
  /**
   * Visitors of the whole period (event_name filters aside): the denominator of conversion_rate
   * when each event name is its own goal. Otherwise each group's own visitors are.
   */
  conversionDenominator?: number;
  /** Keep only groups whose dimension values are one of these tuples (for comparison rows). */
  onlyGroups?: string[][];
  /** Rollup queries with one dimension: read only the rows whose value is one of these (top-candidates.ts). */
  candidates?: string[];
  /**
   * Bind the values here rather than in a set of the statement's own, so that statements built
   * for several ranges can run as one (their parameter names would clash otherwise; currencies.ts).
   */
  params?: Params;
}

export function buildQuery(plan: QueryPlan, opts: BuildOptions): BuiltQuery {
  const p = opts.params ?? new Params();
  const tz = p.add('String', plan.timezone);
  const sessions = needsSessions(plan);
  const c: Ctx = { p, tz, e: sessions ? 'e.' : '' };
  const { where, goal } = splitGoal(plan);
  const dimensionAliases = plan.dimensions.map((_, i) => `d${i}`);
  const metricAliases = plan.metrics.map((m) => `m_${m}`);
  // With time_on_page the events are read with each pageview's gap, the range and bot flag applied
  // inside (before the filters, which must not choose the next pageview); else straight from the table.
  const gaps = wantsTimeOnPage(plan.metrics);
  const source = gaps
    ? `(\n    ${pageviewGaps({
        table: EVENTS_TABLE,
        columns: gapColumns(plan, sessions),
        where: baseWhere(plan, opts.range, { p, tz, e: '' }),
        pageviewsOnly: plan.metrics.every((m) => m === 'time_on_page'),
        measured: where.filter((f) => !SESSION_DIMENSIONS.has(f.dimension)).map((f) => filterExpr(f, { p, tz, e: '' })),
      })}\n  )`
    : EVENTS_TABLE;
  // Built only by the shapes that use them: each call binds its own parameters.
  const dimSelect = () => plan.dimensions.map((d, i) => `${dimensionExpr(d, c)} AS d${i}`);
  const eventConds = () => [...(gaps ? [] : baseWhere(plan, opts.range, c)), ...where.map((f) => filterExpr(f, c))];
  const whereOf = (conds: string[], indent: string) => (conds.length === 0 ? '' : `\n${indent}WHERE ${conds.join(`\n${indent}  AND `)}`);
  const hasDims = plan.dimensions.length > 0;
  const den = opts.conversionDenominator === undefined ? undefined : p.add('UInt64', opts.conversionDenominator);
  // The goal condition, over the columns of whichever table the shape aggregates.
  const goalExpr = (ctx: Ctx) => goalCondition(goal, ctx);

  // Session columns: prefixed aliases, because an alias equal to a column name would shadow that column.
  const sessionColumnList = Object.entries(sessionColumns(opts.schema)).map(([name, expr]) => `${expr} AS s_${name}`);
  // That shape takes a visit's attributes from the rows it groups, which with the gaps may be
  // pageviews only, of some visits only (time-on-page.ts): the gaps are joined to whole visits instead.
  const sessionOnly =
    sessions && !gaps && plan.dimensions.every((d) => SESSION_DIMENSIONS.has(d)) && where.every((f) => SESSION_DIMENSIONS.has(f.dimension));

  let sql: string;
  let having: string[] = [];
  if (!sessions) {
    const g = goalExpr(c);
    const select = [...dimSelect(), ...plan.metrics.map((m, i) => `${flatMetric(m, g, den)} AS ${metricAliases[i]}`)];
    if (goal.length > 0) having = [`countIf(${g}) > 0`];
    sql = `SELECT ${select.join(', ')}\nFROM ${source}${whereOf(eventConds(), '')}`;
    if (hasDims) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  } else if (sessionOnly) {
    // Every dimension and filter describes whole sessions: one pass that groups events by session.
    const sc: Ctx = { p, tz, e: '' };
    const g = goalExpr(sc);
    const perSession = [
      'session_id',
      ...sessionColumnList,
      'any(visitor_id) AS vid',
      `countIf(${g} AND name = 'pageview') AS pv`,
      `countIf(${g}) AS ev`,
      `sumIf(revenue_amount, ${g}) AS rev`,
      `max(${g}) AS hit`,
      "countIf(name = 'pageview') AS spv",
      'count() AS sev',
      "dateDiff('millisecond', min(ts), max(ts)) / 1000 AS sdur",
    ];
    const sessionSql = `SELECT ${perSession.join(', ')}\n  FROM ${EVENTS_TABLE}\n  WHERE ${baseWhere(plan, opts.range, sc).join(' AND ')}\n  GROUP BY session_id, ${visitDay()}`;
    const outer = [
      ...dimSelect(),
      ...plan.metrics.map((m, i) => `${sessionMetric(m, den)} AS ${metricAliases[i]}`),
    ];
    sql = `SELECT ${outer.join(', ')}\nFROM (\n  ${sessionSql}\n) AS s`;
    if (where.length > 0) sql += `\nWHERE ${where.map((f) => filterExpr(f, c)).join('\n  AND ')}`;
    if (hasDims) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  } else {
    const sc: Ctx = { p, tz, e: '' };
    const sessionSelect = [
      'session_id',
      `${visitDay()} AS s_day`,
      ...sessionColumnList,
      "countIf(name = 'pageview') AS s_pageviews",
      'count() AS s_events',
      "dateDiff('millisecond', min(ts), max(ts)) / 1000 AS s_duration",
    ];
    const sessionSql =
      `SELECT ${sessionSelect.join(', ')} FROM ${EVENTS_TABLE}\n    WHERE ${baseWhere(plan, opts.range, sc).join(' AND ')}\n    GROUP BY session_id, s_day`;
    const g = goalExpr(c);
    const inner = [
      ...dimSelect(),
      'e.session_id AS sid',
      's.s_day AS sday',
      'any(e.visitor_id) AS vid',
      `countIf(${g} AND e.name = 'pageview') AS pv`,
      `countIf(${g}) AS ev`,
      `sumIf(e.revenue_amount, ${g}) AS rev`,
      `max(${g}) AS hit`,
      'any(s.s_pageviews) AS spv',
      'any(s.s_events) AS sev',
      'any(s.s_duration) AS sdur',
      ...(gaps ? timeOnPageSums(g, `e.${GAP}`) : []),
    ];
    const innerSql =
      `SELECT ${inner.join(', ')}\n  FROM ${source} AS e\n  INNER JOIN (${sessionSql}) AS s ON e.session_id = s.session_id AND ${visitDay('e.')} = s.s_day` +
      `${whereOf(eventConds(), '  ')}\n  GROUP BY ${[...dimensionAliases, 'sid', 'sday'].join(', ')}`;
    const outer = [...dimensionAliases, ...plan.metrics.map((m, i) => `${sessionMetric(m, den)} AS ${metricAliases[i]}`)];
    sql = `SELECT ${outer.join(', ')}\nFROM (\n  ${innerSql}\n)`;
    if (hasDims) sql += `\nGROUP BY ${dimensionAliases.join(', ')}`;
  }

  // With a goal, groups without a conversion are left out (a time series gets them back as zeros).
  if (sessions && goal.length > 0) having = ['countIf(hit) > 0'];
  sql += groupTail(plan, opts, p, having);
  return { sql, params: p.values, dimensionAliases, metricAliases };
}
