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
] as const;
export type Metric = (typeof METRICS)[number];

export const CARD_METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
] as const satisfies readonly Metric[];
export type CardMetric = (typeof CARD_METRICS)[number];

/** Averages and rates over visits: without a visit they have no value (not 0). */
export const PER_VISIT_METRICS = ['bounce_rate', 'visit_duration', 'views_per_visit'] as const satisfies readonly CardMetric[];

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
};

/** Metrics for which a fall is good news (shown green when they go down). */
export const LOWER_IS_BETTER: ReadonlySet<Metric> = new Set<Metric>(['bounce_rate']);

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

const PROP_KEY = /^prop:[^\s|\\]{1,64}$/;

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
