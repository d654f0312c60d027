import { BadRequestError } from '../errors.js';
import type { Dimension, MetricName } from './catalog.js';
import type { Filter } from './plan.js';

/**
 * `time_on_page` (Plausible's classic "time on page", Universal Analytics' "Avg. Time on Page"):
 * for each pageview, the seconds until the next pageview of its visit; a visit's last pageview has
 * none and is left out. The gaps come from a window over each visit's pageviews, computed before
 * any filter applies, so a filter chooses which pageviews are measured and never which one comes
 * next (`page is /pricing` is the time on /pricing, not the time between two views of it). No
 * rollup keeps pageviews in order, so it is always read from raw events (sql.ts `buildQuery`).
 */
export const TIME_ON_PAGE: MetricName = 'time_on_page';

/** The column of the seconds to the next pageview of the visit (NULL: not a pageview, or the visit's last). */
export const GAP = 'top_gap';

export const wantsTimeOnPage = (metrics: readonly MetricName[]): boolean => metrics.includes(TIME_ON_PAGE);

/**
 * Why a dimension cannot describe the pageviews time on page measures. An event name filter would
 * choose events, not pageviews (a goal is a conversion, and `is signup` would leave no pageview to
 * measure), and pageviews carry no revenue.
 */
const NOT_OF_PAGEVIEWS: Readonly<Record<string, string>> = {
  event_name: 'time_on_page measures pageviews, so it cannot be broken down or filtered by event_name (a goal)',
  revenue_currency: 'time_on_page measures pageviews, which carry no revenue, so it cannot be broken down or filtered by revenue_currency',
};

/** Refuses, naming the field, a dimension or filter that says nothing about a pageview. */
export function checkTimeOnPage(metrics: readonly MetricName[], dimensions: readonly Dimension[], filters: readonly Filter[]): void {
  if (!wantsTimeOnPage(metrics)) return;
  dimensions.forEach((d, i) => {
    const why = NOT_OF_PAGEVIEWS[d];
    if (why !== undefined) throw new BadRequestError(`dimensions[${i}]`, why);
  });
  filters.forEach((f, i) => {
    const why = NOT_OF_PAGEVIEWS[f.dimension];
    if (why !== undefined) throw new BadRequestError(`filters[${i}][1]`, why);
  });
}

/** A visit's key as one number (as visits.ts `VISIT_KEY` hashes it): quick to collect and look up. */
const VISIT_HASH = 'cityHash64(session_id, toDate(ts))';

/** What `pageviewGaps` reads. */
export interface GapSource {
  table: string;
  columns: readonly string[];
  /** The site, the range and the bot flag: what makes a visit, applied before the window. */
  where: readonly string[];
  /** No other metric needs the other events. */
  pageviewsOnly: boolean;
  /**
   * The query's conditions on an event's own columns (page, country, props…), for `pageviewGaps`
   * to sort only the visits that have a pageview passing them all.
   */
  measured?: readonly string[];
}

/**
 * The events of a range with `columns`, each pageview with its gap. A visit is the session's
 * pageviews on one UTC day (sql.ts `visitDay`), so a session crossing midnight UTC is two visits and
 * the last pageview before midnight has no next one. Pageviews of the same millisecond are taken in
 * order of path, then event id: the answer never depends on the order storage returns them in (the
 * first gets 0 s, the last the time to the next instant).
 *
 * Sorting each visit's pageviews is most of the cost (5-10× a scan of the same rows), so nothing
 * else is sorted: other events, when another metric needs them, follow without a gap (`UNION ALL`,
 * half the time of sorting them in partitions of their own). And with `measured` conditions only
 * the visits with a pageview passing them all are sorted (one scan more, of the filtered columns):
 * another visit's pageviews fail those conditions themselves, so the query drops them anyway. The
 * visits are found by a 64-bit hash of their key: one that only shares its hash with such a visit
 * is sorted too, which changes no number (the partition is still the visit itself, and the
 * conditions still apply outside).
 */
export function pageviewGaps(q: GapSource): string {
  const pageviews = [...q.where, "name = 'pageview'"];
  const measured = q.measured ?? [];
  const visits = measured.length === 0 ? [] : [`${VISIT_HASH} IN (SELECT ${VISIT_HASH} FROM ${q.table} WHERE ${[...pageviews, ...measured].join(' AND ')})`];
  const gaps =
    `SELECT ${[...q.columns, `dateDiff('millisecond', ts, leadInFrame(toNullable(ts)) OVER visit) / 1000 AS ${GAP}`].join(', ')}\n` +
    `    FROM ${q.table}\n    WHERE ${[...pageviews, ...visits].join(' AND ')}\n` +
    `    WINDOW visit AS (PARTITION BY session_id, toDate(ts) ORDER BY ts, path, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)`;
  if (q.pageviewsOnly) return gaps;
  const others = [...q.where, "name != 'pageview'"];
  return `${gaps}\n    UNION ALL\n    SELECT ${[...q.columns, "CAST(NULL, 'Nullable(Float64)')"].join(', ')} FROM ${q.table} WHERE ${others.join(' AND ')}`;
}

const round2 = (x: string) => `round(${x}, 2)`;

/** The mean gap of the rows `g` keeps (`1`: all), rounded as `visit_duration` is; 0 without any. */
export function timeOnPageMean(g: string, col = GAP): string {
  if (g === '1') return `if(count(${col}) = 0, 0, ${round2(`avg(${col})`)})`;
  return `if(countIf(${col} IS NOT NULL AND ${g}) = 0, 0, ${round2(`avgIf(${col}, ${g})`)})`;
}

/** Per (dimensions, visit) row: the sum and number of the gaps of the rows `g` keeps, so the outer query can average them. */
export function timeOnPageSums(g: string, col: string): string[] {
  return [`sumIf(assumeNotNull(${col}), ${col} IS NOT NULL AND ${g}) AS tsum`, `countIf(${col} IS NOT NULL AND ${g}) AS tcnt`];
}

/** The mean over the rows `timeOnPageSums` made: every gap weighs the same, whichever visit it is in. */
export const TIME_ON_PAGE_OF_SUMS = `if(sum(tcnt) = 0, 0, ${round2('sum(tsum) / sum(tcnt)')})`;
