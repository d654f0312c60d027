/** Names and labels of the query API's metrics and dimensions (DESIGN.md "Query API"). */

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'events',
  'bounce_rate',
  'visit_duration',
  'views_per_visit',
  'conversion_rate',
  'revenue',
  'time_on_page',
] as const;
export type Metric = (typeof METRICS)[number];

/** What a card or the chart can show: the API's metrics, and one the dashboard derives from two. */
export type Measure = Metric | 'average_revenue';

/** The top cards without a goal filter: the site's traffic. */
export const CARD_METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
] as const satisfies readonly Metric[];
export type TrafficCard = (typeof CARD_METRICS)[number];

/**
 * The top cards under a goal filter, as Plausible shows them. The API filters per-event metrics by
 * the goal's event and per-visit ones by the visits containing it, so traffic cards would contradict
 * each other (9 visits, 0 pageviews); conversions do not. `visitors` and `events` under the goal
 * filter are its unique and total conversions; `average_revenue` is revenue ÷ total conversions.
 * The revenue cards show only when the goal has revenue.
 */
export const GOAL_CARD_METRICS = ['visitors', 'events', 'conversion_rate', 'revenue', 'average_revenue'] as const satisfies readonly Measure[];
export type GoalCard = (typeof GOAL_CARD_METRICS)[number];

export type CardMetric = TrafficCard | GoalCard;

export const GOAL_CARD_LABELS: Record<GoalCard, string> = {
  visitors: 'Unique conversions',
  events: 'Total conversions',
  conversion_rate: 'Conversion rate',
  revenue: 'Total revenue',
  average_revenue: 'Average revenue',
};

export function isTrafficCard(m: string): m is TrafficCard {
  return (CARD_METRICS as readonly string[]).includes(m);
}

export function isGoalCard(m: string): m is GoalCard {
  return (GOAL_CARD_METRICS as readonly string[]).includes(m);
}

/** A card's name: the same metric reads differently under a goal ("Unique conversions"). */
export function cardLabel(m: CardMetric, goal: boolean): string {
  if (goal && isGoalCard(m)) return GOAL_CARD_LABELS[m];
  return isTrafficCard(m) ? METRIC_LABELS[m] : GOAL_CARD_LABELS[m];
}

/** Averages and rates over visits: without a visit they have no value (not 0). */
export const PER_VISIT_METRICS = ['bounce_rate', 'visit_duration', 'views_per_visit'] as const satisfies readonly TrafficCard[];

export function isPerVisit(m: Metric): boolean {
  return (PER_VISIT_METRICS as readonly Metric[]).includes(m);
}

export const METRIC_LABELS: Record<Metric, string> = {
  visitors: 'Unique visitors',
  visits: 'Total visits',
  pageviews: 'Total pageviews',
  events: 'Events',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
  views_per_visit: 'Views per visit',
  conversion_rate: 'Conversion rate',
  revenue: 'Revenue',
  time_on_page: 'Time on page',
};

/** Metrics for which a fall is good news (shown green when they go down). */
export const LOWER_IS_BETTER: ReadonlySet<Measure> = new Set<Measure>(['bounce_rate']);

export const FILTER_DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'referrer',
  'source',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'country',
  'device',
  'browser',
  'os',
  'event_name',
  'revenue_currency',
] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number] | `prop:${string}`;

export const DIMENSION_LABELS: Record<(typeof FILTER_DIMENSIONS)[number], string> = {
  page: 'Page',
  entry_page: 'Entry page',
  exit_page: 'Exit page',
  referrer: 'Referrer',
  source: 'Source',
  utm_source: 'UTM source',
  utm_medium: 'UTM medium',
  utm_campaign: 'UTM campaign',
  country: 'Country',
  device: 'Device',
  browser: 'Browser',
  os: 'OS',
  event_name: 'Goal',
  revenue_currency: 'Currency',
};

export const FILTER_OPS = ['is', 'is_not', 'contains', 'matches'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export const FILTER_OP_LABELS: Record<FilterOp, string> = {
  is: 'is',
  is_not: 'is not',
  contains: 'contains',
  matches: 'matches',
};

/** `[op, dimension, values]`, exactly the query API's filter shape. */
export type Filter = [FilterOp, FilterDimension, string[]];

/**
 * `prop:<key>`: a key of 1–64 characters (the protocol's limit) without control characters, as the
 * API takes it. Spaces, `|` and `\` are fine: a filter's tokens are escaped in the URL.
 */
export const MAX_PROP_KEY_LENGTH = 64;
const PROP_KEY = /^prop:[^\u0000-\u001f\u007f]{1,64}$/;

export function isMetric(s: string): s is Metric {
  return (METRICS as readonly string[]).includes(s);
}

export function isFilterDimension(s: string): s is FilterDimension {
  return (FILTER_DIMENSIONS as readonly string[]).includes(s) || PROP_KEY.test(s);
}

export function isFilterOp(s: string): s is FilterOp {
  return (FILTER_OPS as readonly string[]).includes(s);
}

export function dimensionLabel(d: FilterDimension): string {
  if (d.startsWith('prop:')) return `Property ${d.slice(5)}`;
  return DIMENSION_LABELS[d as (typeof FILTER_DIMENSIONS)[number]];
}
