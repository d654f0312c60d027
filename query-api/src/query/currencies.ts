import { mapStorageError, type QueryStorage } from '../storage.js';
import type { SchemaInfo } from '../schema-probe.js';
import type { QueryPlan, Range } from './plan.js';
import { DAY_MS, bucketWhere, edgeWhere, splitWhole } from './rollups.js';
import { EVENTS_TABLE, Params, filterOn } from './sql.js';

/**
 * `revenue` sums amounts as sent, in whatever currencies they were sent (Pulse has no exchange-rate
 * source to convert them). So an answer with `revenue` says which currencies its sum covers
 * (`meta.revenue_currencies`), and warns when they are several (`meta.warnings`), unless the query
 * already separates them: the `revenue_currency` dimension, or `is` on one currency.
 *
 * Read from the aggregator's site rollup, whose `revenue_currencies` column keeps the currencies
 * each site's revenue was recorded in per UTC day (aggregator/src/storage/schema-rollups.ts,
 * SITE_ROLLUP: a few bytes a site and day); a range off UTC midnight (a site's local days) reads
 * its edges from raw events, as the rollups do.
 */
export const CURRENCIES_TABLE = 'rollup_site_day';
export const CURRENCIES_COLUMN = 'revenue_currencies';
/** The aggregator migration that adds and backfills the column; until recorded, it may be half filled. */
export const REVENUE_CURRENCIES_MIGRATION = '0010_revenue_currencies';

const DIMENSION = 'revenue_currency';

/** Whether the answer to `plan` must name its revenue's currencies. */
export function currenciesWanted(plan: QueryPlan): boolean {
  if (!plan.metrics.includes('revenue') || plan.dimensions.includes(DIMENSION)) return false;
  return !plan.filters.some((f) => f.dimension === DIMENSION && f.op === 'is' && f.values.length === 1);
}

/**
 * The distinct currencies of the site's revenue in the plan's range and compared range (bots only
 * with `include_bots`), narrowed by the plan's `revenue_currency` filters (applied to each currency
 * of a rollup row's list, named as `events` names its column). Other filters are not applied: the
 * rollup has no other dimension.
 */
export function buildCurrenciesQuery(plan: QueryPlan): { sql: string; params: Record<string, unknown> } {
  const p = new Params();
  const own = plan.filters.filter((f) => f.dimension === DIMENSION).map((f) => filterOn(DIMENSION, f, p));
  const ranges: Range[] = plan.compare ? [plan.range, plan.compare] : [plan.range];
  const parts: string[] = [];
  for (const range of ranges) {
    const { whole, edges } = splitWhole(range, DAY_MS);
    if (whole) {
      const joined = `SELECT arrayJoin(${CURRENCIES_COLUMN}) AS ${DIMENSION} FROM ${CURRENCIES_TABLE} WHERE ${bucketWhere(plan, whole, p).join(' AND ')}`;
      parts.push(`SELECT ${DIMENSION} FROM (${joined})${own.length > 0 ? ` WHERE ${own.join(' AND ')}` : ''}`);
    }
    if (edges.length > 0) {
      parts.push(`SELECT ${DIMENSION} FROM ${EVENTS_TABLE} WHERE ${[...edgeWhere(plan, edges, p), `${DIMENSION} != ''`, ...own].join(' AND ')}`);
    }
  }
  return { sql: `SELECT DISTINCT ${DIMENSION} AS currency FROM (\n  ${parts.join('\n  UNION ALL\n  ')}\n)`, params: p.values };
}

/**
 * The sorted currencies `plan`'s revenue covers, or undefined when the answer need not name them or
 * the aggregator has not added and filled the column yet (an older schema: the answer goes without
 * them). The schema probe knows tables, not a rollup's columns: the recorded migration says the
 * column exists and is backfilled.
 */
export async function revenueCurrencies(
  storage: QueryStorage,
  plan: QueryPlan,
  schema: SchemaInfo,
  settings: Record<string, string | number | boolean>,
): Promise<string[] | undefined> {
  if (!currenciesWanted(plan)) return undefined;
  if (!schema.migrations.has(REVENUE_CURRENCIES_MIGRATION) || !schema.tables.has(CURRENCIES_TABLE)) return undefined;
  const q = buildCurrenciesQuery(plan);
  let rows: { currency: string }[];
  try {
    rows = await storage.query<{ currency: string }>(q.sql, q.params, settings);
  } catch (err) {
    mapStorageError(err);
  }
  return rows.map((r) => String(r.currency)).sort();
}

/** The warning an answer carries when its revenue adds up amounts of several currencies, or undefined. */
export function currencyWarning(currencies: readonly string[] | undefined): string | undefined {
  if (!currencies || currencies.length < 2) return undefined;
  return (
    `revenue sums amounts in ${currencies.join(', ')} without conversion (Pulse converts no currency): ` +
    `break it down by the revenue_currency dimension or filter on it, e.g. ["is", "revenue_currency", ["${currencies[0]}"]]`
  );
}
