import { mapStorageError, type QueryStorage } from '../storage.js';
import type { SchemaInfo } from '../schema-probe.js';
import type { Filter, QueryPlan, Range } from './plan.js';
import { DAY_MS, bucketWhere, edgeWhere, splitWhole } from './rollups.js';
import { EVENTS_TABLE, Params, buildQuery, filterOn } from './sql.js';
import { buildVisitsJoinQuery, visitsJoinAnswer } from './visits-join.js';

/**
 * `revenue` sums amounts as sent, in whatever currencies they were sent (Pulse has no exchange-rate
 * source to convert them). So an answer with `revenue` says which currencies its sum covers
 * (`meta.revenue_currencies`), and warns when they are several (`meta.warnings`), unless the query
 * already separates them: the `revenue_currency` dimension, or `is` on one currency.
 *
 * A query filtered on nothing but the currency reads the aggregator's site rollup, whose
 * `revenue_currencies` column keeps the currencies each site's revenue was recorded in per UTC day
 * (aggregator/src/storage/schema-rollups.ts, SITE_ROLLUP: a few bytes a site and day); a range off
 * UTC midnight (a site's local days) reads its edges from raw events, as the rollups do. Any other
 * filter needs the events the report sums, which that rollup cannot tell apart: those are read from
 * raw events by the report's own builders (fromEvents).
 */
export const CURRENCIES_TABLE = 'rollup_site_day';
export const CURRENCIES_COLUMN = 'revenue_currencies';
/** The aggregator migration that adds and backfills the column; until recorded, it may be half filled. */
export const REVENUE_CURRENCIES_MIGRATION = '0010_revenue_currencies';

const DIMENSION = 'revenue_currency';
/** Events with revenue: the protocol requires a currency with every amount, so '' means none. */
const WITH_REVENUE: Filter = { op: 'is_not', dimension: DIMENSION, values: [''] };

/** Whether the answer to `plan` must name its revenue's currencies. */
export function currenciesWanted(plan: QueryPlan): boolean {
  if (!plan.metrics.includes('revenue') || plan.dimensions.includes(DIMENSION)) return false;
  return !plan.filters.some((f) => f.dimension === DIMENSION && f.op === 'is' && f.values.length === 1);
}

/** Whether the site rollup can list `plan`'s currencies: it knows a site's days and bot flag, and no other dimension. */
export function siteRollupAnswers(plan: QueryPlan): boolean {
  return plan.filters.every((f) => f.dimension === DIMENSION);
}

const rangesOf = (plan: QueryPlan): Range[] => (plan.compare ? [plan.range, plan.compare] : [plan.range]);

/**
 * The distinct currencies of the site's revenue in the plan's range and compared range (bots only
 * with `include_bots`), among the events the plan's filters keep, as one statement.
 */
export function buildCurrenciesQuery(plan: QueryPlan, schema: SchemaInfo): { sql: string; params: Record<string, unknown> } {
  return siteRollupAnswers(plan) ? fromSiteRollup(plan) : fromEvents(plan, schema);
}

/**
 * From the site rollup: the `revenue_currency` filters apply to each currency of a row's list,
 * named as `events` names its column.
 */
function fromSiteRollup(plan: QueryPlan): { sql: string; params: Record<string, unknown> } {
  const p = new Params();
  const own = plan.filters.map((f) => filterOn(DIMENSION, f, p));
  const parts: string[] = [];
  for (const range of rangesOf(plan)) {
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
 * From raw events: the report broken down by `revenue_currency` (which no rollup and no table of
 * visits has), built by the same builder the report's raw route would use, so every filter means
 * what it means there: each op and the case modifier, `prop:<key>`, goals (with `conversion_rate`
 * the sum is of goal events only, so the goal filters keep rows here), and attributes of whole
 * visits (entry and exit page, source, referrer, UTM fields), through the table of visits when it
 * has them (visits-join.ts), else by grouping the range's events by visit (sql.ts). The report's
 * other metrics and dimensions change which groups it shows, not which events it sums.
 */
function fromEvents(plan: QueryPlan, schema: SchemaInfo): { sql: string; params: Record<string, unknown> } {
  const byCurrency: QueryPlan = {
    ...plan,
    metrics: ['events'],
    dimensions: [DIMENSION],
    filters: [...plan.filters, WITH_REVENUE],
    orderBy: [],
    compare: undefined,
    time: undefined,
  };
  const build = visitsJoinAnswer(byCurrency, schema) ? buildVisitsJoinQuery : buildQuery;
  // One set of parameters for both ranges' statements: they run as one.
  const p = new Params();
  const parts = rangesOf(plan).map((range) => {
    const q = build(byCurrency, { range, schema, params: p });
    return `SELECT ${q.dimensionAliases[0] ?? ''} AS currency FROM (\n${q.sql}\n)`;
  });
  return { sql: `SELECT DISTINCT currency FROM (\n${parts.join('\nUNION ALL\n')}\n)`, params: p.values };
}

/**
 * The sorted currencies `plan`'s revenue covers, or undefined when the answer need not name them or
 * the aggregator has not added and filled the column yet (an older schema: the answer goes without
 * them, whichever way they would be read, so whether an answer has the field does not depend on
 * its filters). The schema probe knows tables, not a rollup's columns: the recorded migration says
 * the column exists and is backfilled.
 */
export async function revenueCurrencies(
  storage: QueryStorage,
  plan: QueryPlan,
  schema: SchemaInfo,
  settings: Record<string, string | number | boolean>,
): Promise<string[] | undefined> {
  if (!currenciesWanted(plan)) return undefined;
  if (!schema.migrations.has(REVENUE_CURRENCIES_MIGRATION) || !schema.tables.has(CURRENCIES_TABLE)) return undefined;
  const q = buildCurrenciesQuery(plan, schema);
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
