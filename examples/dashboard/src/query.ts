import { CARD_METRICS, type Filter, type FilterDimension, type Metric } from './dimensions.js';
import type { Granularity, ResolvedRange } from './range.js';

/** The body of `POST /v1/query` (DESIGN.md "Query API"). */
export interface QueryBody {
  site_id: string;
  metrics: Metric[];
  date_range: { from: string; to: string };
  dimensions?: string[];
  filters?: Filter[];
  order_by?: [string, 'asc' | 'desc'][];
  limit?: number;
  compare?: 'previous_period';
  timezone?: string;
}

export interface QueryContext {
  siteId: string;
  range: ResolvedRange;
  filters: readonly Filter[];
  timezone: string;
}

export const BREAKDOWN_LIMIT = 10;

function base(ctx: QueryContext, metrics: Metric[]): QueryBody {
  const body: QueryBody = {
    site_id: ctx.siteId,
    metrics,
    date_range: { from: new Date(ctx.range.from).toISOString(), to: new Date(ctx.range.to).toISOString() },
    timezone: ctx.timezone,
  };
  if (ctx.filters.length > 0) body.filters = ctx.filters.map(([op, d, v]) => [op, d, [...v]]);
  return body;
}

/** Top cards: totals for the range and, from the same query, the previous period. */
export function cardsQuery(ctx: QueryContext): QueryBody {
  return { ...base(ctx, [...CARD_METRICS]), compare: 'previous_period' };
}

export function seriesQuery(ctx: QueryContext, metric: Metric, granularity: Granularity, buckets: number): QueryBody {
  const dim = `time:${granularity}`;
  return { ...base(ctx, [metric]), dimensions: [dim], order_by: [[dim, 'asc']], limit: Math.max(1, buckets) };
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
}

export interface BreakdownPanel {
  id: string;
  title: string;
  tabs: BreakdownTab[];
}

export const GOALS_PANEL_ID = 'goals';

export const PANELS: BreakdownPanel[] = [
  {
    id: 'pages',
    title: 'Pages',
    tabs: [
      { id: 'page', label: 'Top pages', dimension: 'page', metrics: ['visitors', 'pageviews'], column: 'Page' },
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
      { id: 'utm_source', label: 'UTM source', dimension: 'utm_source', metrics: ['visitors', 'visits'], column: 'UTM source' },
      { id: 'utm_medium', label: 'UTM medium', dimension: 'utm_medium', metrics: ['visitors', 'visits'], column: 'UTM medium' },
      { id: 'utm_campaign', label: 'UTM campaign', dimension: 'utm_campaign', metrics: ['visitors', 'visits'], column: 'UTM campaign' },
    ],
  },
  {
    id: 'locations',
    title: 'Locations',
    tabs: [{ id: 'country', label: 'Countries', dimension: 'country', metrics: ['visitors'], column: 'Country' }],
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
      },
    ],
  },
];

export function breakdownQuery(ctx: QueryContext, tab: BreakdownTab, limit = BREAKDOWN_LIMIT): QueryBody {
  const body = base(ctx, [...tab.metrics]);
  // A user filter on the same dimension wins over the tab's fixed one (e.g. "Goal is signup").
  const own = new Set(ctx.filters.map(([, d]) => d));
  const fixed = (tab.fixedFilters ?? []).filter(([, d]) => !own.has(d));
  const filters = [...(body.filters ?? []), ...fixed];
  if (filters.length > 0) body.filters = filters;
  const first = tab.metrics[0] ?? 'visitors';
  return { ...body, dimensions: [tab.dimension], order_by: [[first, 'desc']], limit };
}

/**
 * Conversion rate of a goal as Plausible and GA4 define it: unique visitors who triggered it over
 * unique visitors of the whole (filtered) period, in percent.
 */
export function conversionRate(goalVisitors: number, totalVisitors: number): number | null {
  if (!(totalVisitors > 0)) return null;
  return Math.round((goalVisitors / totalVisitors) * 1000) / 10;
}
