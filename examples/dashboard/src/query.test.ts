import { describe, expect, it } from 'vitest';
import { CARD_METRICS } from './dimensions.js';
import { PANELS, breakdownQuery, cardsQuery, conversionRate, seriesQuery, type QueryContext } from './query.js';

const ctx: QueryContext = {
  siteId: 's_abcdefghij012345',
  range: { from: Date.parse('2026-11-20T00:00:00Z'), to: Date.parse('2026-11-27T00:00:00Z') },
  filters: [['is', 'page', ['/pricing']]],
  timezone: 'UTC',
};
const goals = PANELS.find((p) => p.id === 'goals')!.tabs[0]!;

describe('query building', () => {
  it('asks for the card totals with the previous period', () => {
    expect(cardsQuery(ctx)).toEqual({
      site_id: 's_abcdefghij012345',
      metrics: [...CARD_METRICS],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      timezone: 'UTC',
      filters: [['is', 'page', ['/pricing']]],
      compare: 'previous_period',
    });
    expect(cardsQuery({ ...ctx, filters: [] })).not.toHaveProperty('filters');
  });

  it('asks for a series with one row per bucket', () => {
    const q = seriesQuery(ctx, 'pageviews', 'day', 7);
    expect(q).toMatchObject({ metrics: ['pageviews'], dimensions: ['time:day'], order_by: [['time:day', 'asc']], limit: 7 });
  });

  it('asks for a top-10 breakdown ordered by its first metric', () => {
    const pages = PANELS[0]!.tabs[0]!;
    expect(breakdownQuery(ctx, pages)).toMatchObject({
      metrics: ['visitors', 'pageviews'],
      dimensions: ['page'],
      order_by: [['visitors', 'desc']],
      limit: 10,
    });
  });

  it('leaves pageviews out of goals unless the user filtered on a goal', () => {
    expect(breakdownQuery(ctx, goals).filters).toEqual([
      ['is', 'page', ['/pricing']],
      ['is_not', 'event_name', ['pageview']],
    ]);
    const onGoal: QueryContext = { ...ctx, filters: [['is', 'event_name', ['signup']]] };
    expect(breakdownQuery(onGoal, goals).filters).toEqual([['is', 'event_name', ['signup']]]);
  });

  it('does not mutate the caller\'s filters', () => {
    const q = cardsQuery(ctx);
    q.filters![0]![2].push('/other');
    expect(ctx.filters[0]![2]).toEqual(['/pricing']);
  });

  it('computes goal conversion rates over all visitors', () => {
    expect(conversionRate(1, 3)).toBe(33.3);
    expect(conversionRate(5, 0)).toBeNull();
  });
});
