import type { QueryResult, QueryRow } from './api.js';
import { CARD_METRICS, isGoalCard, isTrafficCard, type CardMetric, type Filter, type FilterDimension, type FilterOp, type GoalCard, type Metric } from './dimensions.js';
import type { Granularity, ResolvedRange } from './range.js';

/** A filter's optional 4th element in the API (Plausible's Stats API v2 has the same). */
export interface FilterModifiers {
  case_sensitive: boolean;
}

/** A filter as the API takes it: the dashboard's filter, plus modifiers where it sends some (`apiFilter`). */
export type ApiFilter = [FilterOp, FilterDimension, string[]] | [FilterOp, FilterDimension, string[], FilterModifiers];

/**
 * The operators the dashboard asks for ignoring case, as Plausible's dashboard does: typed text
 * ("blog" finds /Blog/Post). `is` and `is_not` stay exact: their values come from clicking a row or
 * picking a suggestion, which is the value itself. The URL keeps the filter as typed; the modifier is
 * added to each query.
 */
export const CASE_INSENSITIVE_OPS: ReadonlySet<FilterOp> = new Set(['contains', 'matches']);

export function apiFilter([op, dimension, values]: Filter): ApiFilter {
  return CASE_INSENSITIVE_OPS.has(op) ? [op, dimension, [...values], { case_sensitive: false }] : [op, dimension, [...values]];
}

/**
 * A range as the API takes it: ISO instants, or `"all"`, the site's whole life (from the local day it
 * was created through the end of today in the query's `timezone`), which the API resolves itself and
 * does not hold to its 1,098-day cap of explicit ranges.
 */
export type ApiDateRange = { from: string; to: string } | 'all';

/** The body of `POST /v1/query` (DESIGN.md "Query API"). */
export interface QueryBody {
  site_id: string;
  metrics: Metric[];
  date_range: ApiDateRange;
  dimensions?: string[];
  filters?: ApiFilter[];
  order_by?: [string, 'asc' | 'desc'][];
  limit?: number;
  compare?: { from: string; to: string };
  timezone?: string;
}

export interface QueryContext {
  siteId: string;
  /**
   * The period as the dashboard resolved it. Under "All time" (`allTime`) it is what the API's
   * `"all"` resolves to (`resolveRange` with the site's `created_at`): the chart's buckets, ticks and
   * labels are made of it, while the queries ask `"all"`.
   */
  range: ResolvedRange;
  /**
   * "All time": every query asks `date_range: "all"` rather than `range`'s instants, so a site older
   * than the API's 1,098 days of an explicit range is read whole; and nothing is compared with it.
   */
  allTime?: boolean;
  /** What the cards compare the range with (`comparisonRange`); null: nothing yet. Ignored under `allTime`. */
  compare: ResolvedRange | null;
  filters: readonly Filter[];
  timezone: string;
}

export const BREAKDOWN_LIMIT = 10;

/** A range as the API takes it: ISO instants. */
export const isoRange = (r: ResolvedRange) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() });

/** The period of every query of the view: `"all"` under "All time", else its instants. */
export function dateRangeOf(ctx: QueryContext): ApiDateRange {
  return ctx.allTime ? 'all' : isoRange(ctx.range);
}

/** The comparison a query of the view carries: none under "All time" (there is nothing before the site). */
export function compareOf(ctx: QueryContext): ResolvedRange | null {
  return ctx.allTime ? null : ctx.compare;
}

function base(ctx: QueryContext, metrics: Metric[]): QueryBody {
  const body: QueryBody = { site_id: ctx.siteId, metrics, date_range: dateRangeOf(ctx), timezone: ctx.timezone };
  if (ctx.filters.length > 0) body.filters = ctx.filters.map(apiFilter);
  return body;
}

/**
 * A totals query with the comparison every card query shares (an explicit range, not
 * "previous_period": a period in progress compares like for like, see `comparisonRange`).
 */
function compared(ctx: QueryContext, metrics: Metric[]): QueryBody {
  const body = base(ctx, metrics);
  const compare = compareOf(ctx);
  if (compare) body.compare = isoRange(compare);
  return body;
}

/** Top cards: totals for the range and, from the same query, the period it is compared with. */
export function cardsQuery(ctx: QueryContext): QueryBody {
  return compared(ctx, [...CARD_METRICS]);
}

/**
 * Whether a filter names a goal, as the API's `conversion_rate` finds one: an `event_name` filter
 * that is not `is_not` ("Event is not pageview" leaves events out; it converts nothing). The one
 * test of goal-ness: the goal cards, the conversion rates' denominator and the goal series all ask it.
 */
function isGoalFilter([op, d]: Filter): boolean {
  return d === 'event_name' && op !== 'is_not';
}

/** The goal the filters name; under one the dashboard shows conversions instead of traffic (GOAL_CARD_METRICS). */
export function goalFilter(filters: readonly Filter[]): Filter | null {
  return filters.find(isGoalFilter) ?? null;
}

function withoutGoal(ctx: QueryContext): QueryContext {
  return { ...ctx, filters: ctx.filters.filter((f) => !isGoalFilter(f)) };
}

/**
 * Visitors of the period under every filter but the goal's: the denominator of goal conversion
 * rates, as the API's `conversion_rate` takes it. Null when no filter names a goal (an `is_not`
 * event filter alone included): the traffic cards' visitors are then that number already, and the
 * goals panel divides by them. With the comparison's, for the conversion rate card's change.
 */
export function conversionBaseQuery(ctx: QueryContext): QueryBody | null {
  if (!goalFilter(ctx.filters)) return null;
  return compared(withoutGoal(ctx), ['visitors']);
}

/**
 * The goal cards' counts: under the goal filter `visitors` are its unique conversions and `events`
 * its total ones. Both come from rollups; the conversion rate is divided out of these and
 * `conversionBaseQuery` rather than asked as `conversion_rate`, which the API reads from raw events.
 */
export function goalCardsQuery(ctx: QueryContext): QueryBody {
  return compared(ctx, ['visitors', 'events']);
}

/**
 * The goal's revenue, on its own: the API answers `revenue` from raw events only, so the count
 * cards do not wait for it.
 */
export function goalRevenueQuery(ctx: QueryContext): QueryBody {
  return compared(ctx, ['revenue']);
}

/**
 * The metrics a chart asks for: its own, then `visits` (unless that is the metric), because the API
 * fills quiet buckets with 0 for every metric and only the visits tell a quiet bucket (no bounce
 * rate at all) from a real 0 % (see series.ts).
 */
export function seriesMetrics(metric: Metric): Metric[] {
  return metric === 'visits' ? ['visits'] : [metric, 'visits'];
}

function timeSeries(ctx: QueryContext, metrics: Metric[], granularity: Granularity, buckets: number): QueryBody {
  const dim = `time:${granularity}`;
  return { ...base(ctx, metrics), dimensions: [dim], order_by: [[dim, 'asc']], limit: Math.max(1, buckets) };
}

export function seriesQuery(ctx: QueryContext, metric: Metric, granularity: Granularity, buckets: number): QueryBody {
  return timeSeries(ctx, seriesMetrics(metric), granularity, buckets);
}

/**
 * A series query (`seriesQuery`, `goalSeriesQueries`) that also asks for the compared span, bucket
 * by bucket: the API answers each bucket's row with the values of the compared bucket in the same
 * place (see compare-series.ts).
 */
export function withSeriesCompare(q: QueryBody, compare: ResolvedRange): QueryBody {
  // "All time" is compared with nothing: the API's "previous_period" of it would be before the site.
  if (q.date_range === 'all') return q;
  return { ...q, compare: isoRange(compare) };
}

/**
 * The same series query over another span (the compared one), for when the API's per-bucket
 * comparison cannot hold every compared bucket the chart draws (`ComparePlan.viaCompare`).
 */
export function seriesOver(q: QueryBody, range: ResolvedRange, buckets: number): QueryBody {
  const body: QueryBody = { ...q, date_range: isoRange(range), limit: Math.max(1, buckets) };
  delete body.compare;
  return body;
}

/**
 * The series a goal card's chart is made of (`goalSeries` in series.ts combines them), each with one
 * row per bucket:
 * - unique and total conversions: `visitors` or `events` under the goal;
 * - conversion rate: `visitors` under the goal, then without it (per bucket, like the API's
 *   `conversion_rate` by time, but from rollups);
 * - revenue and average revenue: `revenue` and `events` under the goal (raw events, as any revenue).
 */
export function goalSeriesQueries(ctx: QueryContext, card: GoalCard, granularity: Granularity, buckets: number): QueryBody[] {
  switch (card) {
    case 'visitors':
    case 'events':
      return [timeSeries(ctx, [card], granularity, buckets)];
    case 'conversion_rate':
      return [timeSeries(ctx, ['visitors'], granularity, buckets), timeSeries(withoutGoal(ctx), ['visitors'], granularity, buckets)];
    case 'revenue':
    case 'average_revenue':
      return [timeSeries(ctx, ['revenue', 'events'], granularity, buckets)];
  }
}

export interface BreakdownTab {
  id: string;
  label: string;
  dimension: FilterDimension;
  /** The first metric sizes the bar and orders the rows. */
  metrics: Metric[];
  /** Column header of the dimension values. */
  column: string;
  /** Extra filters this tab always applies (e.g. goals leave pageviews out). */
  fixedFilters?: Filter[];
  /** Also show revenue, asked for separately (`revenueQuery`), when any row has some. */
  revenue?: boolean;
  /** Also show each row's average time on page, asked for separately once the rows are known (`timeOnPageQuery`). */
  timeOnPage?: boolean;
  /**
   * Set by `tabUnderFilters` under a goal filter: the one column is the goal's conversions, and
   * each row has its own conversion rate (`groupBaseQuery`).
   */
  conversions?: boolean;
  /** Said under the table when no row has a value (every row is "(none)"): why, and what to set. */
  noValuesNote?: string;
}

export interface BreakdownPanel {
  id: string;
  title: string;
  tabs: BreakdownTab[];
}

export const GOALS_PANEL_ID = 'goals';

/**
 * A UTM report lists the visits that carried that parameter, as Plausible's do: the visits without
 * one are every other visit, a "(none)" row that would top most of these tabs and say nothing about
 * campaigns (Sources lists them, as "Direct / None" or by referrer).
 */
function utmTab(dimension: 'utm_source' | 'utm_medium' | 'utm_campaign', label: string): BreakdownTab {
  return { id: dimension, label, dimension, metrics: ['visitors', 'visits'], column: label, fixedFilters: [['is_not', dimension, ['']]] };
}

export const PANELS: BreakdownPanel[] = [
  {
    id: 'pages',
    title: 'Pages',
    tabs: [
      { id: 'page', label: 'Top pages', dimension: 'page', metrics: ['visitors', 'pageviews'], column: 'Page', timeOnPage: true },
      { id: 'entry_page', label: 'Entry pages', dimension: 'entry_page', metrics: ['visitors', 'visits'], column: 'Entry page' },
      { id: 'exit_page', label: 'Exit pages', dimension: 'exit_page', metrics: ['visitors', 'visits'], column: 'Exit page' },
    ],
  },
  {
    id: 'sources',
    title: 'Sources',
    tabs: [
      { id: 'source', label: 'Sources', dimension: 'source', metrics: ['visitors', 'visits'], column: 'Source' },
      { id: 'referrer', label: 'Referrers', dimension: 'referrer', metrics: ['visitors', 'visits'], column: 'Referrer' },
      utmTab('utm_source', 'UTM source'),
      utmTab('utm_medium', 'UTM medium'),
      utmTab('utm_campaign', 'UTM campaign'),
    ],
  },
  {
    id: 'locations',
    title: 'Locations',
    tabs: [
      {
        id: 'country',
        label: 'Countries',
        dimension: 'country',
        metrics: ['visitors'],
        column: 'Country',
        // Pulse has no GeoIP database: a self-hoster who has not set the header sees only "(none)".
        noValuesNote:
          'No visit has a country. The collector takes countries only from a trusted edge header: set COLLECTOR_COUNTRY_HEADER (e.g. CF-IPCountry) and COLLECTOR_TRUSTED_PROXIES where Pulse runs behind a CDN or proxy that adds one.',
      },
    ],
  },
  {
    id: 'devices',
    title: 'Devices',
    tabs: [
      { id: 'device', label: 'Devices', dimension: 'device', metrics: ['visitors'], column: 'Device' },
      { id: 'browser', label: 'Browsers', dimension: 'browser', metrics: ['visitors'], column: 'Browser' },
      { id: 'os', label: 'Operating systems', dimension: 'os', metrics: ['visitors'], column: 'OS' },
    ],
  },
  {
    id: GOALS_PANEL_ID,
    title: 'Goals and events',
    tabs: [
      {
        id: 'event_name',
        label: 'Custom events',
        dimension: 'event_name',
        metrics: ['visitors', 'events'],
        column: 'Goal',
        fixedFilters: [['is_not', 'event_name', ['pageview']]],
        revenue: true,
      },
      // Revenue in each currency it was sent in (the API adds amounts up as sent, converting none):
      // each row's revenue is in its own currency, so none of them mixes currencies.
      {
        id: 'revenue_currency',
        label: 'Currencies',
        dimension: 'revenue_currency',
        metrics: ['visitors', 'events'],
        column: 'Currency',
        fixedFilters: [['is_not', 'revenue_currency', ['']]],
        revenue: true,
      },
    ],
  },
];

/**
 * A tab as it shows under these filters. Under a goal filter a breakdown other than the goals' lists
 * the goal's conversions, as Plausible does: `visitors` under the goal filter are each row's
 * converted visitors, and the row's conversion rate divides them by its visitors without the goal.
 * Its usual columns would mislead there: the API counts per-event metrics of the goal's event only
 * (0 pageviews on every page) and per-visit ones of the visits that contain it.
 */
/** A row's dimension value as filters, rates and notes key it ('' for none). */
export function rowValue(r: QueryRow): string {
  return String(r.dimensions[0] ?? '');
}

/** The tab's note when its rows are all without a value (none when it has no note, or no rows). */
export function noValuesNote(tab: BreakdownTab, rows: readonly QueryRow[]): string | null {
  if (!tab.noValuesNote || rows.length === 0) return null;
  return rows.every((r) => rowValue(r) === '') ? tab.noValuesNote : null;
}

export function tabUnderFilters(tab: BreakdownTab, filters: readonly Filter[]): BreakdownTab {
  if (!goalFilter(filters) || tab.dimension === 'event_name') return tab;
  return { ...tab, metrics: ['visitors'], conversions: true };
}

/**
 * The denominators of a conversions tab's rates: visitors of each row's value under every filter but
 * the goal's, as the API's `conversion_rate` by a dimension takes them (from rollups here, where
 * that metric reads raw events). The rows' values replace any filter on the tab's dimension: each of
 * them passed it already, and the answer then holds just those rows.
 */
export function groupBaseQuery(ctx: QueryContext, tab: BreakdownTab, values: readonly string[]): QueryBody {
  const others = withoutGoal(ctx).filters.filter(([, d]) => d !== tab.dimension);
  const body = base({ ...ctx, filters: [...others, ['is', tab.dimension, [...values]]] }, ['visitors']);
  return { ...body, dimensions: [tab.dimension], order_by: [['visitors', 'desc']], limit: Math.max(1, values.length) };
}

/**
 * The average time on page of the rows shown, under the same filters, or null when the tab does not
 * show it: other tabs, a goal's conversions (`tabUnderFilters`), and filters on events or currencies,
 * which the API refuses with `time_on_page` (it measures pageviews). Its own query, as `revenueQuery`
 * is: the API reads raw events for it, so the rows still come from a rollup and a failed answer costs
 * only the column. The rows' values replace any filter on the tab's dimension, as in `groupBaseQuery`:
 * each of them passed it already.
 */
export function timeOnPageQuery(ctx: QueryContext, tab: BreakdownTab, values: readonly string[]): QueryBody | null {
  if (!tab.timeOnPage || tab.conversions || values.length === 0) return null;
  if (ctx.filters.some(([, d]) => d === 'event_name' || d === 'revenue_currency')) return null;
  const others = ctx.filters.filter(([, d]) => d !== tab.dimension);
  const body = base({ ...ctx, filters: [...others, ['is', tab.dimension, [...values]]] }, ['time_on_page']);
  return { ...body, dimensions: [tab.dimension], order_by: [['time_on_page', 'desc']], limit: values.length };
}

/** A count per dimension value from a one-dimension answer; null for a value it does not hold. */
export function countOf(rows: readonly QueryRow[]): (value: string) => number | null {
  const byValue = new Map(rows.map((r) => [rowValue(r), r.metrics[0] ?? 0]));
  return (value) => byValue.get(value) ?? null;
}

export function breakdownQuery(ctx: QueryContext, tab: BreakdownTab, limit = BREAKDOWN_LIMIT): QueryBody {
  const body = base(ctx, [...tab.metrics]);
  // A user filter choosing values of the same dimension wins over the tab's fixed one (e.g. "Goal
  // is signup"); one leaving values out ("Event is not signup") narrows it, so both apply.
  const own = new Set(ctx.filters.filter(([op]) => op !== 'is_not').map(([, d]) => d));
  const fixed = (tab.fixedFilters ?? []).filter(([, d]) => !own.has(d));
  const filters = [...(body.filters ?? []), ...fixed.map(apiFilter)];
  if (filters.length > 0) body.filters = filters;
  const first = tab.metrics[0] ?? 'visitors';
  return { ...body, dimensions: [tab.dimension], order_by: [[first, 'desc']], limit };
}

/** Rows a revenue query asks for: every goal of a site, in practice (see `revenueOf`). */
export const REVENUE_LIMIT = 100;

/**
 * A tab's revenue by the same dimension and filters. Its own query, not a third metric of the
 * breakdown: the API answers `revenue` from raw events only, so the breakdown keeps its rollup
 * speed, and a slow or failed revenue answer costs only the column.
 */
export function revenueQuery(ctx: QueryContext, tab: BreakdownTab): QueryBody {
  return breakdownQuery(ctx, { ...tab, metrics: ['revenue'] }, REVENUE_LIMIT);
}

/**
 * The currencies a revenue answer adds up: the API's `meta.revenue_currencies`, or, where the API
 * leaves it out because the query is filtered by one currency (`Currency is EUR`), that currency.
 * Null when unknown (an API that does not name them yet): the amounts then read as plain numbers.
 */
export function revenueCurrencies(result: QueryResult, filters: readonly Filter[]): readonly string[] | null {
  if (result.revenueCurrencies) return result.revenueCurrencies;
  const one = filters.find(([op, d, values]) => op === 'is' && d === 'revenue_currency' && values.length === 1);
  return one ? [...one[2]] : null;
}

/** The currencies of several answers of one chart or table together (null when none names any). */
export function unionCurrencies(lists: readonly (readonly string[] | null)[]): readonly string[] | null {
  const named = lists.filter((l): l is readonly string[] => l !== null);
  return named.length === 0 ? null : [...new Set(named.flat())].sort();
}

/**
 * Whether a revenue answer is any: the API's `revenue` is a sum, and 0 is what it answers for a goal
 * without a single revenue event (it cannot tell those apart from revenue summing to 0). Refunds can
 * make it negative, which is revenue all the same.
 */
export function hasRevenue(revenue: number | null | undefined): revenue is number {
  return revenue !== null && revenue !== undefined && revenue !== 0;
}

/**
 * Revenue per dimension value from a `revenueQuery` answer (rows by revenue, descending). A value
 * the answer left out has none, unless the answer was cut at the limit while still finding revenue:
 * then it is unknown (null).
 */
export function revenueOf(rows: readonly QueryRow[]): (value: string) => number | null {
  const byValue = new Map(rows.map((r) => [rowValue(r), r.metrics[0] ?? 0]));
  const last = rows.at(-1)?.metrics[0] ?? 0;
  const missing = rows.length >= REVENUE_LIMIT && last > 0 ? null : 0;
  return (value) => byValue.get(value) ?? missing;
}

/**
 * The one event a goal filter names (`is` with a single value, as a click in the goals panel makes
 * it), or null (contains, matches, several names: rows of several events).
 */
export function singleGoal(filters: readonly Filter[]): string | null {
  const goal = goalFilter(filters);
  return goal && goal[0] === 'is' && goal[2].length === 1 ? (goal[2][0] ?? null) : null;
}

/**
 * The goals panel's revenue column under a goal filter naming one event, from the goal cards'
 * `goalRevenueQuery` answer: the panel's only row is that event under the same filters and range,
 * so its revenue is the cards' current total and a second raw-events query would ask it again.
 */
export function goalRevenueColumn(cards: QueryResult, goal: string): (value: string) => number | null {
  const revenue = cards.rows[0]?.metrics[0] ?? 0;
  return (value) => (value === goal ? revenue : 0);
}

/**
 * Conversion rate of a goal as Plausible and GA4 define it: unique visitors who triggered it over
 * unique visitors of the whole period under the other filters (not the goal's: see
 * `conversionBaseQuery`), in percent. Rounded once, to two decimals, as the API's `conversion_rate`
 * is: the dashboard shows it as it is, like the API's bounce rate.
 */
export function conversionRate(goalVisitors: number, totalVisitors: number | null): number | null {
  if (totalVisitors === null || !(totalVisitors > 0)) return null;
  // Both counts are sketches with their own error: when nearly everyone converts, the converters
  // can come out above the total, and a rate above 100 % would be nonsense.
  return Math.min(100, Math.round(((100 * goalVisitors) / totalVisitors) * 100) / 100);
}

/**
 * Rows a CSV download asks for: the most the API answers in one page (`MAX_LIMIT` in the query
 * API's `src/query/schema.ts`; more is a 400), where a panel shows its top 10.
 */
export const CSV_ROW_LIMIT = 10_000;

/**
 * A breakdown tab's CSV: the table's query (filters, range, the tab's own filters) without its top-10
 * cut, and the revenue column in the same file where the tab shows one (the API then reads raw
 * events for it, as the column's own query does). Breakdowns show no comparison, so none is asked.
 * Conversion rates are the dashboard's own division of two answers and are not in the file.
 */
export function breakdownCsvQuery(ctx: QueryContext, tab: BreakdownTab): QueryBody {
  const metrics: Metric[] = tab.revenue && !tab.metrics.includes('revenue') ? [...tab.metrics, 'revenue'] : [...tab.metrics];
  return breakdownQuery(ctx, { ...tab, metrics }, CSV_ROW_LIMIT);
}

/**
 * The chart's CSV: the series it draws, one row per bucket, with the compared span it draws
 * (`compare`: `ComparePlan.range`, null without a comparison) as the API's per-bucket comparison.
 * A goal's conversion rate, which the chart divides out of two series, is the API's own
 * `conversion_rate` by bucket beside the conversions; average revenue is `revenue` ÷ `events`, both
 * in the file.
 */
export function chartCsvQuery(
  ctx: QueryContext,
  metric: CardMetric,
  goal: boolean,
  granularity: Granularity,
  buckets: number,
  compare: ResolvedRange | null,
): QueryBody {
  let q: QueryBody | undefined;
  if (goal && isGoalCard(metric)) {
    // Every goal card's series has one query but the rate's, which needs two.
    q = metric === 'conversion_rate' ? timeSeries(ctx, ['visitors', 'conversion_rate'], granularity, buckets) : goalSeriesQueries(ctx, metric, granularity, buckets)[0];
  } else if (isTrafficCard(metric)) {
    q = seriesQuery(ctx, metric, granularity, buckets);
  } else {
    throw new TypeError(`chartCsvQuery: ${metric} has no chart without a goal filter`);
  }
  if (!q) throw new TypeError(`chartCsvQuery: no series for ${metric}`);
  return compare ? withSeriesCompare(q, compare) : q;
}
