import { describe, expect, it } from 'vitest';
import { CARD_METRICS, type Filter } from './dimensions.js';
import {
  CASE_INSENSITIVE_OPS,
  CSV_ROW_LIMIT,
  PANELS,
  REVENUE_LIMIT,
  apiFilter,
  breakdownCsvQuery,
  breakdownQuery,
  cardsQuery,
  chartCsvQuery,
  conversionBaseQuery,
  conversionRate,
  countOf,
  goalCardsQuery,
  goalFilter,
  goalRevenueColumn,
  goalRevenueQuery,
  goalSeriesQueries,
  groupBaseQuery,
  hasRevenue,
  noValuesNote,
  revenueCurrencies,
  revenueOf,
  revenueQuery,
  seriesOver,
  seriesQuery,
  singleGoal,
  tabUnderFilters,
  timeOnPageQuery,
  unionCurrencies,
  isoRange,
  withSeriesCompare,
  type QueryBody,
  type QueryContext,
} from './query.js';
import { bucketStarts, resolveRange } from './range.js';

const ctx: QueryContext = {
  siteId: 's_abcdefghij012345',
  range: { from: Date.parse('2026-11-20T00:00:00Z'), to: Date.parse('2026-11-27T00:00:00Z') },
  // Seen on 26 November at 09:00: the 7 days before, until 09:00 (comparison.ts).
  compare: { from: Date.parse('2026-11-13T00:00:00Z'), to: Date.parse('2026-11-19T09:00:00Z') },
  filters: [['is', 'page', ['/pricing']]],
  timezone: 'UTC',
};
const COMPARE = { from: '2026-11-13T00:00:00.000Z', to: '2026-11-19T09:00:00.000Z' };
const goals = PANELS.find((p) => p.id === 'goals')!.tabs[0]!;
const tab = (id: string) => PANELS.flatMap((p) => p.tabs).find((t) => t.id === id)!;

describe('query building', () => {
  it('asks for the card totals with the span they are compared with', () => {
    expect(cardsQuery(ctx)).toEqual({
      site_id: 's_abcdefghij012345',
      metrics: [...CARD_METRICS],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      timezone: 'UTC',
      filters: [['is', 'page', ['/pricing']]],
      compare: COMPARE,
    });
    expect(cardsQuery({ ...ctx, filters: [] })).not.toHaveProperty('filters');
    // A period not begun yet has nothing to compare with.
    expect(cardsQuery({ ...ctx, compare: null })).not.toHaveProperty('compare');
  });

  it('asks for a series with one row per bucket, and the visits that tell quiet buckets apart', () => {
    const q = seriesQuery(ctx, 'pageviews', 'day', 7);
    expect(q).toMatchObject({ metrics: ['pageviews', 'visits'], dimensions: ['time:day'], order_by: [['time:day', 'asc']], limit: 7 });
    expect(seriesQuery(ctx, 'bounce_rate', 'hour', 24).metrics).toEqual(['bounce_rate', 'visits']);
    expect(seriesQuery(ctx, 'visits', 'hour', 24).metrics).toEqual(['visits']);
  });

  it('asks a series with the compared span for the chart\'s second line, or over the compared span alone', () => {
    const q = seriesQuery(ctx, 'pageviews', 'day', 7);
    // A series has no comparison of its own (the cards' span is cut at now; the chart's is whole days).
    expect(q).not.toHaveProperty('compare');
    const span = { from: Date.parse('2026-11-13T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') };
    const iso = { from: '2026-11-13T00:00:00.000Z', to: '2026-11-20T00:00:00.000Z' };
    expect(withSeriesCompare(q, span)).toEqual({ ...q, compare: iso });
    const over = seriesOver(withSeriesCompare(q, span), span, 8);
    expect(over).toEqual({ ...q, date_range: iso, limit: 8 });
    expect(over).not.toHaveProperty('compare');
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
    // Leaving one event out does not bring pageviews back among the goals.
    const notSignup: QueryContext = { ...ctx, filters: [['is_not', 'event_name', ['signup']]] };
    expect(breakdownQuery(notSignup, goals).filters).toEqual([
      ['is_not', 'event_name', ['signup']],
      ['is_not', 'event_name', ['pageview']],
    ]);
  });

  it('asks contains and matches ignoring case, as Plausible\'s dashboard does; is and is not exactly', () => {
    expect([...CASE_INSENSITIVE_OPS]).toEqual(['contains', 'matches']);
    expect(apiFilter(['contains', 'page', ['blog']])).toEqual(['contains', 'page', ['blog'], { case_sensitive: false }]);
    expect(apiFilter(['matches', 'prop:plan', ['pro*']])).toEqual(['matches', 'prop:plan', ['pro*'], { case_sensitive: false }]);
    expect(apiFilter(['is', 'page', ['/Pricing']])).toEqual(['is', 'page', ['/Pricing']]);
    expect(apiFilter(['is_not', 'source', ['Google']])).toEqual(['is_not', 'source', ['Google']]);
    const typed: QueryContext = {
      ...ctx,
      filters: [['contains', 'page', ['blog']], ['is', 'country', ['DE']], ['matches', 'event_name', ['sign*']], ['is_not', 'source', ['Google']]],
    };
    const sent = [
      ['contains', 'page', ['blog'], { case_sensitive: false }],
      ['is', 'country', ['DE']],
      ['matches', 'event_name', ['sign*'], { case_sensitive: false }],
      ['is_not', 'source', ['Google']],
    ];
    // Every query of the dashboard: cards, series, breakdowns, goal cards and their denominators.
    expect(cardsQuery(typed).filters).toEqual(sent);
    expect(seriesQuery(typed, 'visitors', 'day', 7).filters).toEqual(sent);
    expect(goalCardsQuery(typed).filters).toEqual(sent);
    expect(goalRevenueQuery(typed).filters).toEqual(sent);
    expect(breakdownQuery(typed, tab('source')).filters).toEqual(sent);
    expect(breakdownQuery(typed, goals).filters).toEqual(sent);
    expect(breakdownQuery({ ...ctx, filters: [['contains', 'page', ['blog']]] }, goals).filters).toEqual([sent[0], ['is_not', 'event_name', ['pageview']]]);
    // The goal (matches sign*) leaves the denominators; the rest keep their modifiers.
    expect(conversionBaseQuery(typed)?.filters).toEqual([sent[0], sent[1], sent[3]]);
    expect(groupBaseQuery(typed, tab('page'), ['/Blog/a'])?.filters).toEqual([sent[1], sent[3], ['is', 'page', ['/Blog/a']]]);
    for (const q of goalSeriesQueries(typed, 'conversion_rate', 'day', 7)) expect(q.filters).toContainEqual(sent[0]);
    // The context's own filters stay as the URL has them.
    expect(typed.filters[0]).toEqual(['contains', 'page', ['blog']]);
  });

  it('does not mutate the caller\'s filters', () => {
    const q = cardsQuery(ctx);
    q.filters![0]![2].push('/other');
    expect(ctx.filters[0]![2]).toEqual(['/pricing']);
  });

  it('takes conversion rates over the visitors without the goal filter', () => {
    // No goal filter: the cards' visitors are the denominator, no extra query.
    expect(conversionBaseQuery(ctx)).toBeNull();
    const onGoal: QueryContext = { ...ctx, filters: [['is', 'event_name', ['purchase']], ['is', 'page', ['/pricing']]] };
    expect(conversionBaseQuery(onGoal)).toEqual({
      site_id: 's_abcdefghij012345',
      metrics: ['visitors'],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      timezone: 'UTC',
      filters: [['is', 'page', ['/pricing']]],
      // The goal cards compare conversion rates, so the compared span's denominator comes along.
      compare: COMPARE,
    });
    expect(conversionBaseQuery({ ...ctx, filters: [['is', 'event_name', ['purchase']]] })).not.toHaveProperty('filters');
  });

  it('finds the goal as the API does: an event_name filter that is not is_not', () => {
    expect(goalFilter(ctx.filters)).toBeNull();
    expect(goalFilter([['is', 'page', ['/']], ['is', 'event_name', ['purchase']]])).toEqual(['is', 'event_name', ['purchase']]);
    expect(goalFilter([['contains', 'event_name', ['sign']]])).toEqual(['contains', 'event_name', ['sign']]);
    expect(goalFilter([['is_not', 'event_name', ['pageview']]])).toBeNull();
  });

  it('asks for the conversion base exactly when there is a goal, so an is_not event filter alone asks nothing extra', () => {
    const cases: Filter[][] = [
      [],
      [['is', 'page', ['/pricing']]],
      [['is', 'event_name', ['purchase']]],
      [['contains', 'event_name', ['sign']]],
      [['matches', 'event_name', ['sign*']], ['is', 'page', ['/']]],
      [['is_not', 'event_name', ['pageview']]],
      [['is_not', 'event_name', ['signup']], ['is', 'page', ['/pricing']]],
    ];
    for (const filters of cases) {
      expect(conversionBaseQuery({ ...ctx, filters }) !== null, JSON.stringify(filters)).toBe(goalFilter(filters) !== null);
    }
    expect(conversionBaseQuery({ ...ctx, filters: [['is_not', 'event_name', ['pageview']]] })).toBeNull();
  });

  it('asks for the goal cards\' counts from rollups and their revenue on its own, both with the compared span', () => {
    const onGoal: QueryContext = { ...ctx, filters: [['is', 'page', ['/pricing']], ['is', 'event_name', ['purchase']]] };
    const period = { date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' }, timezone: 'UTC', compare: COMPARE };
    // visitors/events, not conversion_rate: the API reads conversion_rate from raw events.
    expect(goalCardsQuery(onGoal)).toEqual({ site_id: ctx.siteId, metrics: ['visitors', 'events'], filters: onGoal.filters, ...period });
    expect(goalRevenueQuery(onGoal)).toEqual({ site_id: ctx.siteId, metrics: ['revenue'], filters: onGoal.filters, ...period });
  });

  it('charts each goal card from counts, and its rate from the visitors with and without the goal', () => {
    const onGoal: QueryContext = { ...ctx, filters: [['is', 'page', ['/pricing']], ['is', 'event_name', ['purchase']]] };
    const shape = { dimensions: ['time:day'], order_by: [['time:day', 'asc']], limit: 7 };
    const q = (card: Parameters<typeof goalSeriesQueries>[1]) => goalSeriesQueries(onGoal, card, 'day', 7);
    expect(q('visitors')).toMatchObject([{ metrics: ['visitors'], filters: onGoal.filters, ...shape }]);
    expect(q('events')).toMatchObject([{ metrics: ['events'], filters: onGoal.filters, ...shape }]);
    expect(q('conversion_rate')).toMatchObject([
      { metrics: ['visitors'], filters: onGoal.filters, ...shape },
      { metrics: ['visitors'], filters: [['is', 'page', ['/pricing']]], ...shape },
    ]);
    expect(q('revenue')).toMatchObject([{ metrics: ['revenue', 'events'], filters: onGoal.filters, ...shape }]);
    expect(q('average_revenue')).toEqual(q('revenue'));
    for (const card of ['visitors', 'events', 'conversion_rate', 'revenue'] as const) {
      for (const body of q(card)) expect(body).not.toHaveProperty('compare');
    }
  });

  it('asks for goal revenue on its own, with the goals\' filters', () => {
    expect(revenueQuery(ctx, goals)).toMatchObject({
      metrics: ['revenue'],
      dimensions: ['event_name'],
      filters: [['is', 'page', ['/pricing']], ['is_not', 'event_name', ['pageview']]],
      order_by: [['revenue', 'desc']],
      limit: REVENUE_LIMIT,
    });
    const r = (name: string, revenue: number) => ({ dimensions: [name], metrics: [revenue], comparison: null });
    const of = revenueOf([r('purchase', 120.5), r('signup', 0)]);
    expect([of('purchase'), of('signup'), of('other')]).toEqual([120.5, 0, 0]);
    // Cut at the limit with revenue still coming: a goal left out is unknown, not 0.
    const full = revenueOf(Array.from({ length: REVENUE_LIMIT }, (_, i) => r(`g${i}`, 1)));
    expect(full('other')).toBeNull();
  });

  it('fills the goals panel\'s revenue column under a one-event goal from the goal cards\' answer', () => {
    expect(singleGoal([['is', 'page', ['/']], ['is', 'event_name', ['purchase']]])).toBe('purchase');
    // Rows of several events (or none named): the panel asks its own revenue by event.
    expect(singleGoal([['is', 'event_name', ['purchase', 'signup']]])).toBeNull();
    expect(singleGoal([['contains', 'event_name', ['sign']]])).toBeNull();
    expect(singleGoal([['is_not', 'event_name', ['pageview']]])).toBeNull();
    expect(singleGoal(ctx.filters)).toBeNull();
    const cards = { rows: [{ dimensions: [], metrics: [71.7], comparison: [40] }], completeThrough: null };
    const column = goalRevenueColumn(cards, 'purchase');
    expect([column('purchase'), column('signup')]).toEqual([71.7, 0]);
    expect(goalRevenueColumn({ rows: [], completeThrough: null }, 'signup')('signup')).toBe(0);
  });

  it('reads the currencies of a revenue answer, and of several together', () => {
    const result = (revenueCurrencies?: string[]) => ({ rows: [], completeThrough: null, ...(revenueCurrencies ? { revenueCurrencies } : {}) });
    expect(revenueCurrencies(result(['EUR', 'USD']), ctx.filters)).toEqual(['EUR', 'USD']);
    expect(revenueCurrencies(result(), ctx.filters)).toBeNull();
    // The API names none when the query is filtered by one currency: that is the one.
    expect(revenueCurrencies(result(), [['is', 'revenue_currency', ['GBP']]])).toEqual(['GBP']);
    expect(revenueCurrencies(result(), [['is_not', 'revenue_currency', ['GBP']]])).toBeNull();
    expect(unionCurrencies([['EUR'], ['USD', 'EUR'], null])).toEqual(['EUR', 'USD']);
    expect(unionCurrencies([['EUR'], ['EUR']])).toEqual(['EUR']);
    expect(unionCurrencies([null, null])).toBeNull();
    expect(unionCurrencies([])).toBeNull();
  });

  it('breaks revenue down by currency in the goals panel, leaving out events without revenue', () => {
    const currencies = tab('revenue_currency');
    expect(PANELS.find((p) => p.id === 'goals')!.tabs.map((t) => t.id)).toEqual(['event_name', 'revenue_currency']);
    expect(breakdownQuery({ ...ctx, filters: [] }, currencies)).toMatchObject({
      metrics: ['visitors', 'events'],
      dimensions: ['revenue_currency'],
      filters: [['is_not', 'revenue_currency', ['']]],
    });
    expect(revenueQuery({ ...ctx, filters: [] }, currencies)).toMatchObject({ metrics: ['revenue'], dimensions: ['revenue_currency'], limit: REVENUE_LIMIT });
    // A currency chosen by a filter wins over the tab's own.
    expect(breakdownQuery({ ...ctx, filters: [['is', 'revenue_currency', ['EUR']]] }, currencies).filters).toEqual([['is', 'revenue_currency', ['EUR']]]);
  });

  it('computes goal conversion rates over all visitors, to two decimals as the API does', () => {
    expect(conversionRate(1, 3)).toBe(33.33);
    expect(conversionRate(6, 11)).toBe(54.55);
    expect(conversionRate(2, 3)).toBe(66.67);
    expect(conversionRate(1, null)).toBeNull();
    expect(conversionRate(5, 0)).toBeNull();
    // Sketched counts can put the converters a little above the total.
    expect(conversionRate(1012, 1000)).toBe(100);
  });

  it('lists in a UTM tab only the visits that had that parameter: no "(none)" row', () => {
    for (const id of ['utm_source', 'utm_medium', 'utm_campaign']) {
      expect(breakdownQuery(ctx, tab(id)).filters).toEqual([
        ['is', 'page', ['/pricing']],
        ['is_not', id, ['']],
      ]);
    }
    // Sources keep theirs: "Direct / None" is a source.
    expect(breakdownQuery(ctx, tab('source')).filters).toEqual([['is', 'page', ['/pricing']]]);
    expect(breakdownQuery(ctx, tab('referrer')).filters).toEqual([['is', 'page', ['/pricing']]]);
    // A chip choosing a UTM value is the user's choice.
    expect(breakdownQuery({ ...ctx, filters: [['is', 'utm_source', ['news']]] }, tab('utm_source')).filters).toEqual([
      ['is', 'utm_source', ['news']],
    ]);
  });

  it('shows conversions and a conversion rate per row under a goal filter, not the traffic columns', () => {
    const onGoal: Filter[] = [['is', 'page', ['/pricing']], ['is', 'event_name', ['purchase']]];
    const pages = tabUnderFilters(tab('page'), onGoal);
    expect(pages).toMatchObject({ dimension: 'page', metrics: ['visitors'], conversions: true });
    expect(breakdownQuery({ ...ctx, filters: onGoal }, pages)).toMatchObject({ metrics: ['visitors'], order_by: [['visitors', 'desc']] });
    for (const id of ['entry_page', 'source', 'utm_campaign', 'country', 'os']) {
      expect(tabUnderFilters(tab(id), onGoal).metrics, id).toEqual(['visitors']);
    }
    // Not without a goal ("is not" names none), and the goals panel has its own rates.
    expect(tabUnderFilters(tab('page'), ctx.filters)).toBe(tab('page'));
    expect(tabUnderFilters(tab('page'), [['is_not', 'event_name', ['pageview']]])).toBe(tab('page'));
    expect(tabUnderFilters(goals, onGoal)).toBe(goals);
  });

  it('divides each row\'s conversions by the row\'s visitors without the goal', () => {
    const onGoal: QueryContext = { ...ctx, filters: [['contains', 'page', ['/p']], ['is', 'country', ['DE']], ['is', 'event_name', ['purchase']]] };
    const pages = tabUnderFilters(tab('page'), onGoal.filters);
    expect(groupBaseQuery(onGoal, pages, ['/pricing', '/plans'])).toEqual({
      site_id: ctx.siteId,
      metrics: ['visitors'],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      timezone: 'UTC',
      // The goal's filter goes; the rows' values stand in for the filter on their own dimension.
      filters: [
        ['is', 'country', ['DE']],
        ['is', 'page', ['/pricing', '/plans']],
      ],
      dimensions: ['page'],
      order_by: [['visitors', 'desc']],
      limit: 2,
    });
    const r = (value: string, n: number) => ({ dimensions: [value], metrics: [n], comparison: null });
    const visitors = countOf([r('/pricing', 8), r('', 3)]);
    expect([visitors('/pricing'), visitors(''), visitors('/plans')]).toEqual([8, 3, null]);
    expect(conversionRate(2, visitors('/pricing'))).toBe(25);
    expect(conversionRate(2, visitors('/plans'))).toBeNull();
  });

  it('asks the top pages\' time on page for the rows shown, under the same filters, and nowhere else', () => {
    const filtered: QueryContext = { ...ctx, filters: [['contains', 'page', ['/p']], ['is', 'country', ['DE']], ['is', 'source', ['Google']]] };
    expect(timeOnPageQuery(filtered, tab('page'), ['/pricing', '/plans'])).toEqual({
      site_id: ctx.siteId,
      metrics: ['time_on_page'],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      timezone: 'UTC',
      // The rows' values stand in for the filter on their own dimension; the others stay.
      filters: [
        ['is', 'country', ['DE']],
        ['is', 'source', ['Google']],
        ['is', 'page', ['/pricing', '/plans']],
      ],
      dimensions: ['page'],
      order_by: [['time_on_page', 'desc']],
      limit: 2,
    });
    // The table's own query is unchanged: visitors and pageviews, from a rollup.
    expect(breakdownQuery(filtered, tab('page')).metrics).toEqual(['visitors', 'pageviews']);
    // Only the Top pages tab has the column.
    const others = PANELS.flatMap((p) => p.tabs).filter((t) => t.id !== 'page');
    expect(others.length).toBeGreaterThan(10);
    for (const t of others) expect(timeOnPageQuery(ctx, t, ['x']), t.id).toBeNull();
    // Nothing to ask without rows; none under a goal's conversions, nor under filters the API refuses with it.
    expect(timeOnPageQuery(ctx, tab('page'), [])).toBeNull();
    const onGoal: Filter[] = [['is', 'event_name', ['purchase']]];
    expect(timeOnPageQuery({ ...ctx, filters: onGoal }, tabUnderFilters(tab('page'), onGoal), ['/'])).toBeNull();
    expect(timeOnPageQuery({ ...ctx, filters: [['is_not', 'event_name', ['signup']]] }, tab('page'), ['/'])).toBeNull();
    expect(timeOnPageQuery({ ...ctx, filters: [['is', 'revenue_currency', ['EUR']]] }, tab('page'), ['/'])).toBeNull();
    // Typed filters keep their case modifier, as every query's do.
    expect(timeOnPageQuery({ ...ctx, filters: [['contains', 'os', ['ios']]] }, tab('page'), ['/'])?.filters).toEqual([
      ['contains', 'os', ['ios'], { case_sensitive: false }],
      ['is', 'page', ['/']],
    ]);
  });

  it('tells revenue from none by its sum, the one thing the API answers', () => {
    expect([hasRevenue(71.7), hasRevenue(-20), hasRevenue(0), hasRevenue(null), hasRevenue(undefined)]).toEqual([true, true, false, false, false]);
  });
});

describe('All time', () => {
  // A site created on 17 May 2019 in Berlin, seen on 26 November 2026: older than the API's 1,098 days.
  const now = Date.parse('2026-11-26T15:20:00Z');
  const range = resolveRange({ kind: 'preset', preset: 'all' }, now, 'Europe/Berlin', Date.parse('2019-05-17T08:00:00Z'));
  const goal: Filter = ['is', 'event_name', ['signup']];
  // The view keeps a comparison in its context only by mistake: none may be sent for All time.
  const all: QueryContext = { ...ctx, range, allTime: true, timezone: 'Europe/Berlin', filters: [goal, ['is', 'page', ['/pricing']]] };
  const span = { from: Date.parse('2012-01-01T00:00:00Z'), to: Date.parse('2019-05-16T22:00:00Z') };
  const months = bucketStarts(range, 'month', 'Europe/Berlin');

  it('asks every body with date_range "all", the view\'s timezone and no comparison', () => {
    const bodies: QueryBody[] = [
      cardsQuery(all),
      conversionBaseQuery(all)!,
      goalCardsQuery(all),
      goalRevenueQuery(all),
      seriesQuery(all, 'visitors', 'month', months.length),
      ...goalSeriesQueries(all, 'conversion_rate', 'month', months.length),
      withSeriesCompare(seriesQuery(all, 'visitors', 'month', months.length), span),
      ...PANELS.flatMap((p) => p.tabs).flatMap((t) => [breakdownQuery(all, t), revenueQuery(all, t), breakdownCsvQuery(all, t), groupBaseQuery(all, t, ['/a'])]),
      timeOnPageQuery({ ...all, filters: [] }, tab('page'), ['/a'])!,
      chartCsvQuery(all, 'visitors', true, 'month', months.length, span),
      chartCsvQuery({ ...all, filters: [] }, 'pageviews', false, 'week', 400, span),
    ];
    for (const b of bodies) {
      expect(b, JSON.stringify(b)).toMatchObject({ site_id: ctx.siteId, date_range: 'all', timezone: 'Europe/Berlin' });
      expect(b, JSON.stringify(b)).not.toHaveProperty('compare');
    }
    // The same view over another range sends its instants, and compares.
    expect(cardsQuery({ ...all, allTime: false })).toMatchObject({ date_range: isoRange(range), compare: COMPARE });
  });

  it('asks as many buckets as the dashboard resolved, which are the ones the API answers for "all"', () => {
    // From 1 May 2019 (the month holding 17 May) to November 2026: 91 months.
    expect(months).toHaveLength(91);
    expect(new Date(months[0]!).toISOString()).toBe('2019-04-30T22:00:00.000Z');
    expect(seriesQuery(all, 'visitors', 'month', months.length)).toMatchObject({ date_range: 'all', dimensions: ['time:month'], limit: 91 });
  });

  it('asks a sub-range of explicit instants when given one, never "all" with another span\'s limit', () => {
    const q = seriesQuery(all, 'visitors', 'month', months.length);
    expect(seriesOver(q, span, 89)).toEqual({ ...q, date_range: isoRange(span), limit: 89 });
  });
});

describe('a breakdown without values', () => {
  const countries = PANELS.flatMap((p) => p.tabs).find((t) => t.dimension === 'country');
  const row = (v: string | null) => ({ dimensions: [v], metrics: [3], comparison: null });

  it('says why countries are missing when every row is "(none)", and names the setting', () => {
    if (!countries) throw new Error('no country tab');
    expect(noValuesNote(countries, [row(null)])).toMatch(/COLLECTOR_COUNTRY_HEADER/);
    expect(noValuesNote(countries, [row('')])).toMatch(/COLLECTOR_COUNTRY_HEADER/);
  });

  it('says nothing once some row has a value, for an empty table, or for a tab without a note', () => {
    if (!countries) throw new Error('no country tab');
    expect(noValuesNote(countries, [row(null), row('DE')])).toBeNull();
    expect(noValuesNote(countries, [])).toBeNull();
    const pages = PANELS.flatMap((p) => p.tabs).find((t) => t.dimension === 'page');
    if (!pages) throw new Error('no page tab');
    expect(noValuesNote(pages, [row('')])).toBeNull();
  });
});

describe('CSV download queries', () => {
  const tab = (panel: string, id: string) => {
    const t = PANELS.find((p) => p.id === panel)?.tabs.find((x) => x.id === id);
    if (!t) throw new Error(`no tab ${panel}/${id}`);
    return t;
  };

  it('asks a breakdown as the panel shows it, without the top-10 cut and without a comparison', () => {
    expect(CSV_ROW_LIMIT).toBe(10_000);
    const pages = breakdownCsvQuery(ctx, tab('pages', 'page'));
    expect(pages).toEqual({ ...breakdownQuery(ctx, tab('pages', 'page')), limit: 10_000 });
    expect(pages).toEqual({
      site_id: ctx.siteId,
      metrics: ['visitors', 'pageviews'],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      timezone: 'UTC',
      filters: [['is', 'page', ['/pricing']]],
      dimensions: ['page'],
      order_by: [['visitors', 'desc']],
      limit: 10_000,
    });
    expect(pages).not.toHaveProperty('compare');
    // A UTM tab keeps its own filter (no "(none)" row), as its table does.
    expect(breakdownCsvQuery(ctx, tab('sources', 'utm_source')).filters).toEqual([['is', 'page', ['/pricing']], ['is_not', 'utm_source', ['']]]);
  });

  it('puts the revenue column of the goals tabs in the same file', () => {
    const goals = breakdownCsvQuery(ctx, tab('goals', 'event_name'));
    expect(goals.metrics).toEqual(['visitors', 'events', 'revenue']);
    expect(goals.filters).toEqual([['is', 'page', ['/pricing']], ['is_not', 'event_name', ['pageview']]]);
    expect(breakdownCsvQuery(ctx, tab('goals', 'revenue_currency')).metrics).toEqual(['visitors', 'events', 'revenue']);
    // Under a goal filter, a conversions tab: the conversions, as the table's one column.
    const underGoal: QueryContext = { ...ctx, filters: [['is', 'event_name', ['signup']]] };
    const sources = breakdownCsvQuery(underGoal, tabUnderFilters(tab('sources', 'source'), underGoal.filters));
    expect([sources.metrics, sources.filters, sources.limit]).toEqual([['visitors'], [['is', 'event_name', ['signup']]], 10_000]);
  });

  it('asks the chart\'s series with the compared span it draws', () => {
    const span = { from: Date.parse('2026-11-13T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') };
    const series = chartCsvQuery(ctx, 'bounce_rate', false, 'day', 7, span);
    expect(series).toEqual(withSeriesCompare(seriesQuery(ctx, 'bounce_rate', 'day', 7), span));
    expect(series).toMatchObject({
      metrics: ['bounce_rate', 'visits'],
      dimensions: ['time:day'],
      order_by: [['time:day', 'asc']],
      limit: 7,
      compare: { from: '2026-11-13T00:00:00.000Z', to: '2026-11-20T00:00:00.000Z' },
    });
    expect(chartCsvQuery(ctx, 'visitors', false, 'hour', 168, null)).toEqual(seriesQuery(ctx, 'visitors', 'hour', 168));
    expect(chartCsvQuery(ctx, 'visitors', false, 'hour', 168, null)).not.toHaveProperty('compare');
  });

  it('asks a goal\'s chart as its series, the rate as the API\'s conversion_rate beside the conversions', () => {
    const goal: QueryContext = { ...ctx, filters: [['is', 'event_name', ['purchase']]] };
    expect(chartCsvQuery(goal, 'events', true, 'day', 7, null)).toEqual(goalSeriesQueries(goal, 'events', 'day', 7)[0]);
    expect(chartCsvQuery(goal, 'average_revenue', true, 'day', 7, null).metrics).toEqual(['revenue', 'events']);
    const rate = chartCsvQuery(goal, 'conversion_rate', true, 'day', 7, null);
    expect([rate.metrics, rate.filters, rate.dimensions]).toEqual([['visitors', 'conversion_rate'], [['is', 'event_name', ['purchase']]], ['time:day']]);
    expect(() => chartCsvQuery(ctx, 'average_revenue', false, 'day', 7, null)).toThrow(TypeError);
  });
});
