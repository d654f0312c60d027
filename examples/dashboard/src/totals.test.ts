import { describe, expect, it } from 'vitest';
import type { QueryResult } from './api.js';
import { CARD_METRICS } from './dimensions.js';
import { goalTotalsOf, totalsOf } from './totals.js';

const answer = (metrics: (number | null)[], comparison: (number | null)[] | null = null): QueryResult => ({
  rows: [{ dimensions: [], metrics, comparison }],
  completeThrough: null,
});
const none: QueryResult = { rows: [], completeThrough: null };

describe('traffic totals', () => {
  it('are the six traffic cards, with rates of a period without visits left out', () => {
    const t = totalsOf(answer([10, 12, 30, 2.5, 40, 61], [0, 0, 0, 0, 0, 0]))!;
    expect(t.cards).toEqual(CARD_METRICS);
    expect(t.current).toEqual({ visitors: 10, visits: 12, pageviews: 30, views_per_visit: 2.5, bounce_rate: 40, visit_duration: 61 });
    expect(t.previous).toMatchObject({ visitors: 0, views_per_visit: null, bounce_rate: null, visit_duration: null });
    expect(totalsOf(none)).toBeNull();
  });

  it('have no rates or averages for a period without visits, where the API answers 0', () => {
    const t = totalsOf(answer([0, 0, 0, 0, 0, 0], [10, 12, 30, 2.5, 40, 61]))!;
    expect(t.current).toEqual({ visitors: 0, visits: 0, pageviews: 0, views_per_visit: null, bounce_rate: null, visit_duration: null });
    expect(t.previous).toMatchObject({ views_per_visit: 2.5, bounce_rate: 40, visit_duration: 61 });
    // A bounce rate of 0 % with visits is a value.
    expect(totalsOf(answer([3, 3, 6, 2, 0, 30]))!.current.bounce_rate).toBe(0);
  });
});

describe('goal totals', () => {
  it('carry the currencies of their revenue: the API\'s list, or the one a currency filter names', () => {
    const counts = answer([3, 4], [2, 2]);
    const base = answer([12], [4]);
    const revenue = (currencies?: string[]): QueryResult => ({ ...answer([71.7], [40]), ...(currencies ? { revenueCurrencies: currencies } : {}) });
    expect(goalTotalsOf(counts, base, revenue(['EUR', 'USD']))!.currencies).toEqual(['EUR', 'USD']);
    expect(goalTotalsOf(counts, base, revenue(['EUR']), [['is', 'event_name', ['purchase']]])!.currencies).toEqual(['EUR']);
    // Filtered to one currency, the API names none: the filter does.
    expect(goalTotalsOf(counts, base, revenue(), [['is', 'revenue_currency', ['USD']]])!.currencies).toEqual(['USD']);
    expect(goalTotalsOf(counts, base, revenue(), [['is', 'revenue_currency', ['USD', 'EUR']]])!.currencies).toBeNull();
    expect(goalTotalsOf(counts, base, revenue())!.currencies).toBeNull();
    expect(goalTotalsOf(counts, base, null)!.currencies).toBeNull();
  });

  // 3 buyers (4 purchases) of 12 visitors; the period before, 2 buyers of 4.
  const counts = answer([3, 4], [2, 2]);
  const base = answer([12], [4]);

  it('count conversions and divide the rate of each period by its visitors without the goal', () => {
    const t = goalTotalsOf(counts, base, null)!;
    expect(t.cards).toEqual(['visitors', 'events', 'conversion_rate']);
    expect(t.current).toMatchObject({ visitors: 3, events: 4, conversion_rate: 25 });
    expect(t.previous).toMatchObject({ visitors: 2, events: 2, conversion_rate: 50 });
    expect(goalTotalsOf(none, base, null)).toBeNull();
  });

  it('have no previous rate when the period before had no visitor, and none at all without a comparison', () => {
    expect(goalTotalsOf(answer([3, 4], [0, 0]), answer([12], [0]), null)!.previous).toMatchObject({ visitors: 0, conversion_rate: null });
    expect(goalTotalsOf(answer([3, 4]), answer([12]), null)!.previous).toBeNull();
    // No denominator answer row: the rate is unknown, the counts still show.
    expect(goalTotalsOf(counts, none, null)!.current).toMatchObject({ visitors: 3, conversion_rate: null });
  });

  it('add total and average revenue (per conversion) when the goal earned any, in either period', () => {
    const t = goalTotalsOf(counts, base, answer([71.7], [40]))!;
    expect(t.cards).toEqual(['visitors', 'events', 'conversion_rate', 'revenue', 'average_revenue']);
    expect(t.current).toMatchObject({ revenue: 71.7, average_revenue: 17.93 });
    expect(t.previous).toMatchObject({ revenue: 40, average_revenue: 20 });
    // Revenue only before: still a revenue goal, now at 0; an average of no conversion is none.
    const lapsed = goalTotalsOf(answer([0, 0], [2, 2]), base, answer([0], [40]))!;
    expect(lapsed.cards).toContain('revenue');
    expect(lapsed.current).toMatchObject({ revenue: 0, average_revenue: null });
  });

  it('leave the revenue cards out for a goal without revenue', () => {
    expect(goalTotalsOf(counts, base, answer([0], [0]))!.cards).toEqual(['visitors', 'events', 'conversion_rate']);
    // Refunds only: revenue all the same.
    expect(goalTotalsOf(counts, base, answer([-20], [0]))!.cards).toContain('revenue');
  });

  it('take the conversion rate to the API\'s two decimals, rounded once', () => {
    // 6 of 11 is 54.5454…%: 54.55, as the API's conversion_rate answers it (not 54.5 nor 54.6).
    const t = goalTotalsOf(answer([6, 6], [1, 1]), answer([11], [3]), null)!;
    expect(t.current.conversion_rate).toBe(54.55);
    expect(t.previous?.conversion_rate).toBe(33.33);
  });
});
