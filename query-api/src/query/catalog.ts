/** The metrics and dimensions of DESIGN.md, with what each means; the OpenAPI text is built from this. */
export const METRICS = {
  visitors: {
    exact: false,
    description:
      'Unique visitors (distinct visitor_id), always a sketch. From raw events, and for breakdowns read from `rollup_visits_day`: ClickHouse `uniq`, exact up to tens of thousands of visitors, within ~1% beyond. From another rollup table (`meta.source_table` starts with `rollup_`), and for totals read from `rollup_visits_day`: `uniqCombined(12)` sketches merged per bucket: exact up to about 250 visitors, an estimate beyond (standard error ~1.6%), so a count near or above that can differ from raw events by a few percent, and may even exceed `visits` by as much.',
  },
  visits: {
    exact: true,
    description:
      'Visits: a session\'s events on one UTC day, counted when at least one event matches. A visit ends at midnight UTC for every site, whatever its time zone or the query\'s `timezone` (Universal Analytics, by contrast, ended sessions at midnight in the view\'s time zone), so a session going on past 00:00 UTC is two visits. Exact on raw events and on `rollup_visits_day`; when another rollup table answers, a `uniqCombined(12)` sketch of session ids (standard error ~1.6% for large counts; merged over several days it counts a session that crosses midnight once; then listed in `meta.sketches`).',
  },
  pageviews: { exact: true, description: 'Number of `pageview` events.' },
  events: { exact: true, description: 'Number of events of any name (pageviews included).' },
  bounce_rate: {
    exact: true,
    description: 'Percentage (0-100, 2 decimals) of those visits whose whole visit in the date range is a single pageview and nothing else.',
  },
  visit_duration: {
    exact: true,
    description: 'Mean visit length in seconds (2 decimals): last event time minus first event time of each visit in the date range.',
  },
  views_per_visit: { exact: true, description: 'Mean pageviews per visit (2 decimals), counting the whole visit in the date range.' },
  time_on_page: {
    exact: true,
    description:
      'Average time on page in seconds, rounded to 2 decimals as `visit_duration` is (Plausible\'s classic "time on page", Universal Analytics\' "Avg. Time on Page"). For each pageview, the time until the next pageview of the same visit (the session\'s pageviews on one UTC day within the date range; other events do not count as a next page); a visit\'s last pageview has no next one and is left out, as Plausible\'s classic metric and Universal Analytics left it out, so a one-page visit adds nothing. The metric is the mean of those durations over the pageviews the query\'s filters keep: the next pageview is found among all pageviews of the visit before any filter applies, so `["is", "page", ["/pricing"]]` is the time spent on /pricing until whatever page came next (not the time between two views of /pricing), and with the `page` dimension each page gets its own. Other event dimensions and filters (`country`, `device`, `browser`, `os`, `prop:<key>` of the pageview) choose pageviews the same way, visit attributes (`source`, `referrer`, `utm_*`, `entry_page`, `exit_page`) the pageviews of the visits that have them, and `time:*` buckets go by the time of the pageview measured. Pageviews of the same millisecond follow each other in order of path, then event id (the first of them gets 0 s). 0 when no pageview kept has a next one. It is not engaged or visible time: the script sends no engagement pings, so a tab left open until the next pageview counts in full and the time on a visit\'s last page is unknown. Exact; always answered from raw events (`meta.source_table` is `events`: no rollup keeps pageviews in order). Not with the `event_name` or `revenue_currency` dimension or filter (a 400 naming the field): it measures pageviews, which are not goals and carry no revenue.',
  },
  conversion_rate: {
    exact: false,
    description:
      'Percentage (0-100, 2 decimals) of visitors who completed the goal. The goal is an `event_name` filter (which then defines the conversion instead of narrowing the denominator), or, with `event_name` as the only dimension, each event name against all visitors of the period. A ratio of `uniq` sketches.',
  },
  revenue: {
    exact: true,
    description:
      'Sum of revenue amounts as sent, rounded to 2 decimals. Currencies are not converted (Pulse has no exchange-rate source), so amounts in different currencies add up as plain numbers. Whenever `revenue` is requested and the query neither has the `revenue_currency` dimension nor the filter `["is", "revenue_currency", [<one code>]]`, `meta.revenue_currencies` lists, sorted, the currencies of the revenue recorded in the site among the events the query\'s filters keep (all of them, as for the sum: pages, props, goals, visit attributes such as `entry_page` or `source`), over the date range (and the compared range), bots excluded unless `include_bots`. With more than one, `meta.warnings` says that the sum mixes them: break revenue down by `revenue_currency` or filter on it. `meta.revenue_currencies` is left out while the aggregator has not added the revenue currencies to its site rollup (migration `0010_revenue_currencies`) yet.',
  },
} as const;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Metrics that need each session's full shape (a join against the sessions in range). */
export const SESSION_METRICS: ReadonlySet<MetricName> = new Set(['bounce_rate', 'visit_duration', 'views_per_visit']);

export const TIME_DIMENSIONS = ['time:minute', 'time:hour', 'time:day', 'time:week', 'time:month'] as const;
export type TimeDimension = (typeof TIME_DIMENSIONS)[number];

export const DIMENSIONS = {
  'time:minute': 'Minute bucket, ISO-8601 with the offset of the query timezone.',
  'time:hour': 'Hour bucket in the query timezone (DST-correct: a 23- or 25-hour day has 23 or 25 buckets).',
  'time:day': 'Day bucket (local midnight) in the query timezone.',
  'time:week': 'Week bucket (Monday, local midnight) in the query timezone.',
  'time:month': 'Month bucket (first day, local midnight) in the query timezone.',
  page: 'URL path of the event.',
  entry_page: "Path of the session's first event.",
  exit_page: "Path of the session's last event.",
  referrer: "Full referrer URL of the session's first event ('' when none).",
  source: "Where the session came from: its utm_source, else the referrer's name for known search engines, social networks and mail services ('Google', 'Hacker News'), else the referrer's host (other than the site's own), else 'Direct / None'.",
  utm_source: "utm_source of the session's first event.",
  utm_medium: "utm_medium of the session's first event.",
  utm_campaign: "utm_campaign of the session's first event.",
  country: 'ISO 3166-1 alpha-2 country code of the visitor.',
  device: 'Device class (desktop, mobile, tablet, ...).',
  browser: 'Browser name.',
  os: 'Operating system name.',
  event_name: "Event name ('pageview' or a custom name).",
  revenue_currency:
    "ISO 4217 currency code of the event's revenue, as sent ('EUR', 'USD'); '' when the event had no revenue. Answered from raw events. Break `revenue` down by it, or filter on one currency (`[\"is\", \"revenue_currency\", [\"EUR\"]]`), for sums of one currency each.",
} as const;

export type PlainDimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as PlainDimension[];
export const PROP_DIMENSION_PATTERN = '^prop:[^\\u0000-\\u001f]{1,64}$';
export type Dimension = PlainDimension | `prop:${string}`;

export const isTimeDimension = (d: string): d is TimeDimension => (TIME_DIMENSIONS as readonly string[]).includes(d);

/** Dimensions that describe a whole session (taken from its first or last event). */
export const SESSION_DIMENSIONS: ReadonlySet<string> = new Set([
  'entry_page',
  'exit_page',
  'referrer',
  'source',
  'utm_source',
  'utm_medium',
  'utm_campaign',
]);

export const FILTER_OPS = ['is', 'is_not', 'contains', 'matches'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/**
 * Relative ranges (resolved in date-range.ts): calendar days ending today (`7d` = today and the 6
 * days before), whole hours ending with this one, this month or year to date, or whole calendar
 * months ending with this one (`12mo`); `all`: from the day the site was created through today.
 */
export const DATE_RANGE_PATTERN = '^(today|yesterday|month|year|all|[1-9][0-9]{0,2}d|[1-9][0-9]{0,3}h|[1-9][0-9]?mo)$';
