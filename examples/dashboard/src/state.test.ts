import { describe, expect, it } from 'vitest';
import { CARD_METRICS, GOAL_CARD_METRICS, type Filter } from './dimensions.js';
import { cardsQuery } from './query.js';
import {
  cardsFor,
  decodeFilter,
  decodeState,
  defaultState,
  encodeFilter,
  encodeState,
  addFilter,
  drillDown,
  removeFilterAt,
  replaceFilterAt,
  sameFilter,
  withCardMetric,
  type DashboardState,
} from './state.js';

describe('URL state', () => {
  it('round-trips every field through the query string', () => {
    const s: DashboardState = {
      site: 's_abcdefghij012345',
      range: { kind: 'custom', from: '2026-11-01', to: '2026-11-07' },
      granularity: 'hour',
      filters: [
        ['is', 'page', ['/pricing']],
        ['contains', 'utm_campaign', ['black|friday', 'a\\b', '']],
        ['matches', 'prop:plan', ['pro*']],
      ],
      metric: 'pageviews',
      timezone: 'Europe/Berlin',
      compare: 'year_over_year',
      compareDates: null,
    };
    const qs = encodeState(s);
    expect(new URLSearchParams(qs).get('compare')).toBe('year_over_year');
    expect(decodeState(qs)).toEqual(s);
    expect(decodeState(`?${qs}`)).toEqual(s);
  });

  it('keeps a custom comparison\'s days in the link, under Plausible\'s names', () => {
    const s: DashboardState = { ...defaultState(), site: 's_abcdefghij012345', compare: 'custom', compareDates: { from: '2025-11-01', to: '2025-11-30' } };
    const qs = encodeState(s);
    expect(qs).toBe('site=s_abcdefghij012345&compare=custom&compare_from=2025-11-01&compare_to=2025-11-30');
    expect(decodeState(qs)).toEqual(s);
    // Another mode leaves no dates behind, and old links read as they did.
    expect(decodeState('compare=year_over_year&compare_from=2025-11-01&compare_to=2025-11-30')).toMatchObject({ compare: 'year_over_year', compareDates: null });
    expect(encodeState({ ...s, compare: 'off', compareDates: null })).toBe('site=s_abcdefghij012345&compare=off');
    expect(decodeState('compare=year_over_year_weekday')).toMatchObject({ compare: 'year_over_year_weekday', compareDates: null });
    expect(decodeState('')).toMatchObject({ compare: 'previous_period', compareDates: null });
  });

  it('falls back to the default comparison for a custom one without valid days', () => {
    for (const qs of [
      'compare=custom',
      'compare=custom&compare_from=2025-11-01',
      'compare=custom&compare_from=&compare_to=2025-11-30',
      'compare=custom&compare_from=2025-11-30&compare_to=2025-11-01',
      'compare=custom&compare_from=2025-02-29&compare_to=2025-03-01',
      'compare=custom&compare_from=2020-01-01&compare_to=2025-01-01',
    ]) {
      expect(decodeState(qs), qs).toMatchObject({ compare: 'previous_period', compareDates: null });
      expect(encodeState(decodeState(qs)), qs).toBe('');
    }
  });

  it('keeps default links short', () => {
    expect(encodeState(defaultState())).toBe('');
    expect(encodeState({ ...defaultState(), site: 's_abcdefghij012345', range: { kind: 'preset', preset: '30d' } })).toBe(
      'site=s_abcdefghij012345&range=30d',
    );
  });

  it('round-trips "All time" as range=all, keeping a chosen comparison for the next range', () => {
    const s: DashboardState = { ...defaultState(), site: 's_abcdefghij012345', range: { kind: 'preset', preset: 'all' }, granularity: 'month' };
    expect(encodeState(s)).toBe('site=s_abcdefghij012345&range=all&g=month');
    expect(decodeState('?site=s_abcdefghij012345&range=all&g=month')).toEqual(s);
    // "All time" is compared with nothing, but the link keeps what was chosen for other ranges.
    const yoy = { ...s, compare: 'year_over_year' as const };
    expect(decodeState(encodeState(yoy))).toEqual(yoy);
    // A shared link carries the range in its query string, the key in the fragment.
    expect(decodeState(new URL('https://dash.example/?range=all#key=rk_x&site=s_1').search).range).toEqual({ kind: 'preset', preset: 'all' });
  });

  it('falls back to defaults for anything invalid instead of failing', () => {
    const s = decodeState(
      'site=%3Cscript%3E&range=forever&g=decade&metric=revenue&tz=Mars%2FOlympus&f=page|is|/a&f=nope|is|x&f=page|drop|x&f=country|is',
    );
    expect(s).toEqual({ ...defaultState(), filters: [['is', 'page', ['/a']]] });
    expect(decodeState('compare=decade').compare).toBe('previous_period');
    expect(decodeState('range=custom&from=2026-11-09&to=2026-11-01').range).toEqual(defaultState().range);
  });

  it('keeps the charted metric among the cards of the mode the filters call for', () => {
    const goal = 'f=event_name|is|purchase';
    // Under a goal the cards are conversions: pageviews has none, revenue may (the goal decides later).
    expect(decodeState(`metric=pageviews&${goal}`).metric).toBe('visitors');
    expect(decodeState(`metric=revenue&${goal}`).metric).toBe('revenue');
    expect(decodeState(`metric=average_revenue&${goal}`).metric).toBe('average_revenue');
    expect(decodeState(`metric=conversion_rate&f=event_name|matches|sign*`).metric).toBe('conversion_rate');
    // Without one they are traffic; "is not" names no goal.
    expect(decodeState('metric=conversion_rate').metric).toBe('visitors');
    expect(decodeState('metric=events&f=event_name|is_not|pageview').metric).toBe('visitors');
    expect(decodeState('metric=bounce_rate&f=page|is|/a').metric).toBe('bounce_rate');

    const onGoal = decodeState(`metric=events&${goal}`);
    expect(decodeState(encodeState(onGoal))).toEqual(onGoal);
    // Removing the goal's chip leaves total conversions without a card: back to the first one.
    expect(withCardMetric({ ...onGoal, filters: removeFilterAt(onGoal.filters, onGoal.filters.findIndex(([, d]) => d === 'event_name')) }).metric).toBe('visitors');
    expect(cardsFor(onGoal.filters)).toEqual(GOAL_CARD_METRICS);
    expect(cardsFor([])).toEqual(CARD_METRICS);
    // A goal without revenue has three cards only.
    expect(withCardMetric({ ...onGoal, metric: 'revenue' }, ['visitors', 'events', 'conversion_rate']).metric).toBe('visitors');
  });

  it('keeps every filter of a link, several on one dimension too, in order', () => {
    const s = decodeState('f=page|is|/a&f=page|is|/b&f=country|is_not|DE');
    expect(s.filters).toEqual([
      ['is', 'page', ['/a']],
      ['is', 'page', ['/b']],
      ['is_not', 'country', ['DE']],
    ]);
  });
});

describe('filter encoding', () => {
  it('escapes separators so any value round-trips', () => {
    const f: Filter = ['is', 'page', ['/a|b', '/c\\d', '/plain']];
    expect(encodeFilter(f)).toBe('page|is|/a\\|b|/c\\\\d|/plain');
    expect(decodeFilter(encodeFilter(f))).toEqual(f);
    expect(decodeFilter('page|is|bad\\escape')).toBeNull();
  });

  it('adds several filters on one dimension, each once', () => {
    let fs = addFilter([], ['contains', 'page', ['/blog']]);
    fs = addFilter(fs, ['is', 'country', ['DE']]);
    fs = addFilter(fs, ['is_not', 'page', ['/blog/draft']]);
    expect(fs).toEqual([
      ['contains', 'page', ['/blog']],
      ['is', 'country', ['DE']],
      ['is_not', 'page', ['/blog/draft']],
    ]);
    // The same op, dimension and values (in any order) is not added twice; another op or value is.
    expect(addFilter(fs, ['contains', 'page', ['/blog']])).toEqual(fs);
    expect(addFilter([['is', 'page', ['/a', '/b']]], ['is', 'page', ['/b', '/a']])).toHaveLength(1);
    expect(addFilter(fs, ['is', 'page', ['/blog']])).toHaveLength(4);
    expect(addFilter(fs, ['contains', 'page', ['/blog', '/news']])).toHaveLength(4);
    expect(sameFilter(['is', 'page', ['/a']], ['is', 'entry_page', ['/a']])).toBe(false);
    expect(sameFilter(['is', 'page', ['/a']], ['is', 'page', ['/a', '/b']])).toBe(false);
  });

  it('removes one filter by its index, leaving the others on its dimension', () => {
    const fs: Filter[] = [
      ['contains', 'page', ['/blog']],
      ['is', 'country', ['DE']],
      ['is_not', 'page', ['/blog/draft']],
    ];
    expect(removeFilterAt(fs, 0)).toEqual([
      ['is', 'country', ['DE']],
      ['is_not', 'page', ['/blog/draft']],
    ]);
    expect(removeFilterAt(fs, 2)).toEqual(fs.slice(0, 2));
    expect(removeFilterAt(fs, 3)).toEqual(fs);
  });

  it('puts an edited filter at its index, where its chip was, and drops a copy of it elsewhere', () => {
    const fs: Filter[] = [
      ['contains', 'page', ['/blog']],
      ['is', 'country', ['DE']],
      ['is_not', 'page', ['/blog/draft']],
    ];
    expect(replaceFilterAt(fs, 2, ['is_not', 'page', ['/blog/old']])).toEqual([
      ['contains', 'page', ['/blog']],
      ['is', 'country', ['DE']],
      ['is_not', 'page', ['/blog/old']],
    ]);
    // Another dimension: its place, and the other page filter stays.
    expect(replaceFilterAt(fs, 0, ['is', 'source', ['Google']])).toEqual([
      ['is', 'source', ['Google']],
      ['is', 'country', ['DE']],
      ['is_not', 'page', ['/blog/draft']],
    ]);
    // Edited into a copy of another filter: one of them is left, in the edited one's place.
    expect(replaceFilterAt(fs, 0, ['is_not', 'page', ['/blog/draft']])).toEqual([
      ['is_not', 'page', ['/blog/draft']],
      ['is', 'country', ['DE']],
    ]);
    // A filter that is gone meanwhile: added at the end.
    expect(replaceFilterAt(fs, 3, ['is', 'device', ['Mobile']])).toHaveLength(4);
  });

  it('replaces only an is filter on the dimension when a breakdown row is clicked', () => {
    const fs: Filter[] = [
      ['contains', 'page', ['/blog']],
      ['is', 'page', ['/blog/a']],
      ['is_not', 'page', ['/blog/draft']],
      ['is', 'event_name', ['purchase']],
    ];
    expect(drillDown(fs, ['is', 'page', ['/blog/b']])).toEqual([
      ['contains', 'page', ['/blog']],
      ['is_not', 'page', ['/blog/draft']],
      ['is', 'event_name', ['purchase']],
      ['is', 'page', ['/blog/b']],
    ]);
    // Without an is on the dimension it is added; the goal filter (is event_name) stays as it was.
    expect(drillDown([['is', 'event_name', ['purchase']]], ['is', 'country', ['DE']])).toEqual([
      ['is', 'event_name', ['purchase']],
      ['is', 'country', ['DE']],
    ]);
    // A goal row replaces the goal filter, as before; an "is not" on events stays.
    expect(drillDown([['is', 'event_name', ['purchase']], ['is_not', 'event_name', ['pageview']]], ['is', 'event_name', ['signup']])).toEqual([
      ['is_not', 'event_name', ['pageview']],
      ['is', 'event_name', ['signup']],
    ]);
  });

  it('keeps two filters on one dimension in the URL, and drops a repeated one', () => {
    const s: DashboardState = {
      ...defaultState(),
      site: 's_abcdefghij012345',
      filters: [
        ['contains', 'page', ['/blog']],
        ['is_not', 'page', ['/blog/draft']],
      ],
    };
    const qs = encodeState(s);
    expect(new URLSearchParams(qs).getAll('f')).toEqual(['page|contains|/blog', 'page|is_not|/blog/draft']);
    expect(decodeState(qs)).toEqual(s);
    expect(decodeState(`${qs}&f=page%7Ccontains%7C%2Fblog`).filters).toEqual(s.filters);
    // Still at most MAX_FILTERS.
    const many = Array.from({ length: 12 }, (_, i) => `f=${encodeURIComponent(`page|is_not|/p${i}`)}`).join('&');
    expect(decodeState(many).filters).toHaveLength(10);
  });

  it('keeps links that predate the filter editor and the comparison menu working', () => {
    const old = decodeState('site=s_abcdefghij012345&range=today&f=page%7Cis%7C%2Fpricing&f=referrer%7Cis%7C&f=event_name%7Cis%7Cpurchase');
    expect(old).toMatchObject({
      compare: 'previous_period',
      filters: [
        ['is', 'page', ['/pricing']],
        ['is', 'referrer', ['']],
        ['is', 'event_name', ['purchase']],
      ],
    });
    expect(encodeState(old)).toBe('site=s_abcdefghij012345&range=today&f=page%7Cis%7C%2Fpricing&f=referrer%7Cis%7C&f=event_name%7Cis%7Cpurchase');
    // Property keys the API takes with spaces or separators round-trip too.
    const props: Filter[] = [['is', 'prop:plan type', ['pro']], ['is_not', 'prop:a|b\\c', ['x']]];
    expect(decodeState(encodeState({ ...defaultState(), filters: props })).filters).toEqual(props);
    expect(decodeState('f=prop:%7Cis%7Cx&f=prop:a%01%7Cis%7Cx').filters).toEqual([]);
  });

  it('keeps contains and matches in links as typed; the queries made from them ignore case', () => {
    // A link made before contains and matches ignored case reads as the same filters, and writes back the same.
    const link = 'site=s_abcdefghij012345&f=page%7Ccontains%7Cblog%7CPricing&f=source%7Cmatches%7CGoo*&f=country%7Cis%7CDE';
    const s = decodeState(link);
    const filters: Filter[] = [
      ['contains', 'page', ['blog', 'Pricing']],
      ['matches', 'source', ['Goo*']],
      ['is', 'country', ['DE']],
    ];
    expect(s.filters).toEqual(filters);
    expect(encodeState(s)).toBe(link);
    expect(decodeState(encodeState({ ...defaultState(), filters })).filters).toEqual(filters);
    // No modifier in the URL; the query adds it.
    expect(new URLSearchParams(link).getAll('f').every((f) => !f.includes('case'))).toBe(true);
    const body = cardsQuery({ siteId: 's_abcdefghij012345', range: { from: 0, to: 86_400_000 }, compare: null, filters: s.filters, timezone: 'UTC' });
    expect(body.filters).toEqual([
      ['contains', 'page', ['blog', 'Pricing'], { case_sensitive: false }],
      ['matches', 'source', ['Goo*'], { case_sensitive: false }],
      ['is', 'country', ['DE']],
    ]);
  });
});
