import { describe, expect, it } from 'vitest';
import type { QueryContext } from './query.js';
import { SUGGESTION_LIMIT, needleOf, noMatchText, suggestionQuery, suggestionsOf } from './suggestions.js';

const ctx: QueryContext = {
  siteId: 's_abcdefghij012345',
  range: { from: Date.parse('2026-11-20T00:00:00Z'), to: Date.parse('2026-11-27T00:00:00Z') },
  compare: { from: Date.parse('2026-11-13T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') },
  filters: [
    ['is', 'page', ['/a']],
    ['is', 'country', ['DE']],
  ],
  timezone: 'Europe/Berlin',
};

describe('filter value suggestions', () => {
  it('ask the dimension\'s top values under the other filters, containing what was typed', () => {
    expect(suggestionQuery(ctx, 'page', ' /bl ')).toEqual({
      site_id: ctx.siteId,
      metrics: ['visitors'],
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      dimensions: ['page'],
      filters: [
        ['is', 'country', ['DE']],
        ['is_not', 'page', ['']],
        // Ignoring case, as the dashboard's contains does: "goo" suggests "Google".
        ['contains', 'page', ['/bl'], { case_sensitive: false }],
      ],
      order_by: [['visitors', 'desc']],
      limit: SUGGESTION_LIMIT,
      timezone: 'Europe/Berlin',
    });
    // No comparison: suggestions need none. Countries are typed by name, so not narrowed by the code.
    expect(suggestionQuery(ctx, 'country', 'Ger')).not.toHaveProperty('compare');
    // All time: the API's "all", as every query of the view asks it.
    expect(suggestionQuery({ ...ctx, allTime: true }, 'page', '')).toMatchObject({ date_range: 'all', timezone: 'Europe/Berlin' });
    expect(suggestionQuery(ctx, 'country', 'Ger').filters).toEqual([
      ['is', 'page', ['/a']],
      ['is_not', 'country', ['']],
    ]);
  });

  it('narrow a pattern by its longest run without wildcards', () => {
    expect(needleOf(' /blog ')).toBe('/blog');
    expect(needleOf('/blog/*')).toBe('/blog/');
    expect(needleOf('*/checkout*/done')).toBe('/checkout');
    expect(needleOf('*')).toBe('');
    expect(suggestionQuery(ctx, 'page', '/blog/*').filters).toContainEqual(['contains', 'page', ['/blog/'], { case_sensitive: false }]);
    // The other filters go as every query sends them: contains and matches ignoring case.
    const typed: QueryContext = { ...ctx, filters: [['matches', 'source', ['Goo*']], ['contains', 'page', ['blog']]] };
    expect(suggestionQuery(typed, 'page', 'Post').filters).toEqual([
      ['matches', 'source', ['Goo*'], { case_sensitive: false }],
      ['is_not', 'page', ['']],
      ['contains', 'page', ['Post'], { case_sensitive: false }],
    ]);
  });

  it('say when nothing contains the text, or when is / is not would miss a value by its case', () => {
    const google = [{ value: 'Google', label: 'Google' }];
    expect(noMatchText('contains', 'source', 'zzz', [])).toBe('No value in this period contains “zzz”.');
    expect(noMatchText('matches', 'page', '/zz/*', [])).toBe('No value in this period contains “/zz/”.');
    // Contains ignores case: "goo" finds Google, nothing to say.
    expect(noMatchText('contains', 'source', 'goo', google)).toBe('');
    expect(noMatchText('is', 'source', 'google', google)).toBe('“is” compares exactly, case included: did you mean “Google”?');
    expect(noMatchText('is_not', 'source', ' google ', google)).toBe('“is not” compares exactly, case included: did you mean “Google”?');
    expect(noMatchText('is', 'source', 'Google', google)).toBe('');
    expect(noMatchText('is', 'source', 'goo', google)).toBe('');
    // Nothing typed yet, or a country (typed by name, sent as a code).
    expect(noMatchText('contains', 'source', ' ', [])).toBe('');
    expect(noMatchText('is', 'country', 'Atlantis', [])).toBe('');
  });

  it('name the values as rows do', () => {
    const rows = [
      { dimensions: ['DE'], metrics: [3], comparison: null },
      { dimensions: [''], metrics: [1], comparison: null },
    ];
    expect(suggestionsOf('country', rows)).toEqual([{ value: 'DE', label: 'Germany' }]);
  });
});
