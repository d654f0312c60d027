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
  removeFilter,
  replaceFilter,
  upsertFilter,
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
    expect(withCardMetric({ ...onGoal, filters: removeFilter(onGoal.filters, 'event_name') }).metric).toBe('visitors');
    expect(cardsFor(onGoal.filters)).toEqual(GOAL_CARD_METRICS);
    expect(cardsFor([])).toEqual(CARD_METRICS);
    // A goal without revenue has three cards only.
    expect(withCardMetric({ ...onGoal, metric: 'revenue' }, ['visitors', 'events', 'conversion_rate']).metric).toBe('visitors');
  });

  it('keeps one filter per dimension, the last one winning', () => {
    const s = decodeState('f=page|is|/a&f=page|is|/b&f=country|is_not|DE');
    expect(s.filters).toEqual([
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

  it('adds, replaces and removes filters by dimension', () => {
    let fs = upsertFilter([], ['is', 'page', ['/a']]);
    fs = upsertFilter(fs, ['is', 'country', ['DE']]);
    fs = upsertFilter(fs, ['is', 'page', ['/b']]);
    expect(fs).toEqual([
      ['is', 'country', ['DE']],
      ['is', 'page', ['/b']],
    ]);
    expect(removeFilter(fs, 'country')).toEqual([['is', 'page', ['/b']]]);
  });

  it('puts an edited filter where its chip was, and drops another on the dimension it moved to', () => {
    const fs: Filter[] = [
      ['is', 'page', ['/a']],
      ['is', 'country', ['DE']],
      ['contains', 'source', ['goo']],
    ];
    expect(replaceFilter(fs, 'page', ['is_not', 'page', ['/admin']])).toEqual([
      ['is_not', 'page', ['/admin']],
      ['is', 'country', ['DE']],
      ['contains', 'source', ['goo']],
    ]);
    // Page → Source: the page chip's place, and the source chip gives way (one filter a dimension).
    expect(replaceFilter(fs, 'page', ['is', 'source', ['Google']])).toEqual([
      ['is', 'source', ['Google']],
      ['is', 'country', ['DE']],
    ]);
    // A filter that is gone meanwhile: added at the end.
    expect(replaceFilter(fs, 'device', ['is', 'device', ['Mobile']])).toHaveLength(4);
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
