import type { QueryResult } from './api.js';
import { CARD_METRICS, PER_VISIT_METRICS, type CardMetric, type Filter, type GoalCard, type TrafficCard } from './dimensions.js';
import { conversionRate, hasRevenue, revenueCurrencies } from './query.js';

/** What the top cards show: which cards, in order, their totals and their previous-period values. */
export interface Totals {
  cards: readonly CardMetric[];
  current: Partial<Record<CardMetric, number | null>>;
  /** Null when the answer had no comparison; a card's null is "no previous data". */
  previous: Partial<Record<CardMetric, number | null>> | null;
  /** The currencies the revenue cards add up (`revenueCurrencies`); null or absent when unknown. */
  currencies?: readonly string[] | null;
}

/** The traffic cards from a `cardsQuery` answer. */
export function totalsOf(result: QueryResult): Totals | null {
  const row = result.rows[0];
  if (!row) return null;
  const pick = (list: (number | null)[]) =>
    Object.fromEntries(CARD_METRICS.map((m, i) => [m, list[i] ?? null])) as Record<TrafficCard, number | null>;
  const current = pick(row.metrics);
  const previous = row.comparison ? pick(row.comparison) : null;
  // Without a single visit, rates and averages have no value, though the API answers 0 for them: a
  // bounce rate of "0%" for a period the chart leaves blank would contradict it, and "+22 pp"
  // against a period without visits would mislead.
  for (const period of [current, previous]) {
    if (period && !period.visits) for (const m of PER_VISIT_METRICS) period[m] = null;
  }
  return { cards: CARD_METRICS, current, previous };
}

/**
 * The goal cards from the answers of `goalCardsQuery` (unique and total conversions),
 * `conversionBaseQuery` (visitors without the goal) and, once it is in, `goalRevenueQuery` (null
 * while pending or when it failed). The conversion rate of each period divides by that period's
 * visitors without the goal, as the API's `conversion_rate` does. The revenue cards are there only
 * when the goal earned something in either period: a goal without revenue would show two cards of
 * zeros. `filters` are the view's: the revenue's currency is the one a `Currency is …` filter names,
 * where the API does not list it.
 */
export function goalTotalsOf(counts: QueryResult, base: QueryResult, revenue: QueryResult | null, filters: readonly Filter[] = []): Totals | null {
  const row = counts.rows[0];
  if (!row) return null;
  const baseRow = base.rows[0];
  const revenueRow = revenue?.rows[0];
  const period = (conv: (number | null)[] | null, visitors: number | null | undefined, earned: number | null | undefined) => {
    const unique = conv?.[0] ?? null;
    const total = conv?.[1] ?? null;
    const out: Record<GoalCard, number | null> = {
      visitors: unique,
      events: total,
      conversion_rate: unique === null || visitors === null || visitors === undefined ? null : conversionRate(unique, visitors),
      revenue: earned ?? null,
      // An average of no conversions is undefined, not 0.
      average_revenue: earned === null || earned === undefined || !total ? null : Math.round((earned / total) * 100) / 100,
    };
    return out;
  };
  const current = period(row.metrics, baseRow?.metrics[0], revenueRow?.metrics[0]);
  const previous = row.comparison ? period(row.comparison, baseRow?.comparison?.[0], revenueRow?.comparison?.[0]) : null;
  const earned = hasRevenue(current.revenue) || hasRevenue(previous?.revenue);
  const cards: GoalCard[] = earned ? ['visitors', 'events', 'conversion_rate', 'revenue', 'average_revenue'] : ['visitors', 'events', 'conversion_rate'];
  return { cards, current, previous, currencies: revenue ? revenueCurrencies(revenue, filters) : null };
}
