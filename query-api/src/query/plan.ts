import { BadRequestError } from '../errors.js';
import { validate } from '../schema/json-schema.js';
import { bucketsBetween, isValidTimeZone, type TimeUnit } from '../time/zone.js';
import { isTimeDimension, type Dimension, type FilterOp, type MetricName, type TimeDimension } from './catalog.js';
import { resolveRange, type DateRangeInput, type Range, type RangeSite } from './date-range.js';
import { planCompare, type CompareInput } from './compare-range.js';
import { DEFAULT_LIMIT, MAX_LIMIT, QUERY_REQUEST_SCHEMA } from './schema.js';
import { checkTimeOnPage } from './time-on-page.js';

export { MAX_RANGE_DAYS, MAX_RANGE_MONTHS, resolveRange, type DateRangeInput, type Range } from './date-range.js';

/** A request body that passed the schema. */
export interface QueryRequest {
  site_id: string;
  metrics: MetricName[];
  date_range: DateRangeInput;
  dimensions?: Dimension[];
  filters?: [FilterOp, Dimension, string[], FilterModifiers?][];
  order_by?: [string, 'asc' | 'desc'][];
  limit?: number;
  offset?: number;
  compare?: CompareInput;
  timezone?: string;
  include_bots?: boolean;
}

/** A filter's optional 4th element (schema.ts FILTER_MODIFIERS_SCHEMA). */
export interface FilterModifiers {
  case_sensitive?: boolean;
}

export interface Filter {
  op: FilterOp;
  dimension: Dimension;
  values: string[];
  /**
   * Compare ignoring case (`{"case_sensitive": false}`). Present only then, so a filter without
   * modifiers and one with `case_sensitive: true` make the same plan and share a cache entry, and
   * an insensitive one never shares the sensitive one's.
   */
  ignoreCase?: true;
}

/** Everything needed to run a query, resolved and normalised (also the cache key). */
export interface QueryPlan {
  siteId: string;
  metrics: MetricName[];
  dimensions: Dimension[];
  filters: Filter[];
  orderBy: [string, 'asc' | 'desc'][];
  limit: number;
  offset: number;
  timezone: string;
  range: Range;
  compare?: Range;
  includeBots: boolean;
  /** The time dimension, if any (at most one). */
  time?: TimeDimension;
}

/** Bound on buckets of a time dimension, so a minute series over a year is refused, not computed. */
export const MAX_TIME_BUCKETS = 10_000;

export function validateQueryRequest(body: unknown): QueryRequest {
  validate(QUERY_REQUEST_SCHEMA, body);
  return body as QueryRequest;
}

function noDuplicates(list: readonly string[], field: string): void {
  const seen = new Set<string>();
  list.forEach((v, i) => {
    if (seen.has(v)) throw new BadRequestError(`${field}[${i}]`, `${JSON.stringify(v)} is listed twice`);
    seen.add(v);
  });
}

/** Filters as a request gives them (schema-checked), as plans hold them; shared by every route that filters. */
export function planFilters(filters: QueryRequest['filters']): Filter[] {
  return (filters ?? []).map(([op, dimension, values, modifiers]) => ({
    op,
    dimension,
    values,
    ...(modifiers?.case_sensitive === false ? { ignoreCase: true as const } : {}),
  }));
}

export function planQuery(req: QueryRequest, site: RangeSite, nowMs: number): QueryPlan {
  const metrics = req.metrics;
  const dimensions = req.dimensions ?? [];
  noDuplicates(metrics, 'metrics');
  noDuplicates(dimensions, 'dimensions');

  const timezone = req.timezone ?? site.timezone;
  if (!isValidTimeZone(timezone)) throw new BadRequestError('timezone', `${JSON.stringify(timezone)} is not an IANA time zone`);

  const timeDims = dimensions.filter(isTimeDimension);
  if (timeDims.length > 1) throw new BadRequestError('dimensions', 'at most one time:* dimension');
  const time = timeDims[0];

  const filters = planFilters(req.filters);
  checkTimeOnPage(metrics, dimensions, filters);

  if (metrics.includes('conversion_rate')) {
    if (dimensions.includes('event_name')) {
      // Each event name is its own goal, measured against every visitor of the period.
      if (dimensions.length > 1) {
        throw new BadRequestError('dimensions', 'conversion_rate by event_name needs event_name as the only dimension');
      }
    } else if (!filters.some((f) => f.dimension === 'event_name' && f.op !== 'is_not')) {
      throw new BadRequestError(
        'metrics',
        'conversion_rate needs a goal: a filter ["is", "event_name", ["<goal event>"]] or the event_name dimension',
      );
    }
  }

  const fields = new Set<string>([...metrics, ...dimensions]);
  const orderBy = req.order_by ?? [];
  orderBy.forEach(([field], i) => {
    if (!fields.has(field)) throw new BadRequestError(`order_by[${i}][0]`, `${JSON.stringify(field)} is not a requested metric or dimension`);
  });
  noDuplicates(orderBy.map(([f]) => f), 'order_by');

  const range = resolveRange(req.date_range, timezone, nowMs, 'date_range', site.created_at);
  const compare = planCompare(req.compare, range, timezone);

  if (time) {
    const unit = time.slice(5) as TimeUnit;
    for (const [r, field] of [[range, 'date_range'], ...(compare ? [[compare, 'compare']] : [])] as [Range, string][]) {
      if (!bucketsBetween(unit, r.fromMs, r.toMs, timezone, MAX_TIME_BUCKETS)) {
        throw new BadRequestError(field, `too long for ${time}: more than ${MAX_TIME_BUCKETS} buckets`);
      }
    }
  }

  return {
    siteId: req.site_id,
    metrics,
    dimensions,
    filters,
    orderBy,
    // A bare time series comes whole by default; breakdowns are paged.
    limit: req.limit ?? (time && dimensions.length === 1 ? MAX_LIMIT : DEFAULT_LIMIT),
    offset: req.offset ?? 0,
    timezone,
    range,
    ...(compare ? { compare } : {}),
    includeBots: req.include_bots ?? false,
    ...(time ? { time } : {}),
  };
}
