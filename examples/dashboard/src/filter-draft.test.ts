import { describe, expect, it } from 'vitest';
import type { Filter } from './dimensions.js';
import { OP_HINTS, applyDraft, draftOf, duplicateOf, filterOfDraft, opHint, opsFor, type FilterDraft } from './filter-draft.js';
import { MAX_FILTERS } from './state.js';

const draft = (d: Partial<FilterDraft>): FilterDraft => ({ ...draftOf(null), ...d });

describe('filter drafts', () => {
  it('say under the values that contains and matches ignore case', () => {
    expect(OP_HINTS.contains).toMatch(/\(ignores case\)\.$/);
    expect(OP_HINTS.matches).toMatch(/\(ignores case\)\.$/);
    expect(OP_HINTS.is).not.toMatch(/case/);
    expect(opHint('page', 'contains')).toBe('Contains any of these texts (ignores case).');
    expect(opHint('country', 'is')).toBe('Exactly one of these values. Type a country’s name or two-letter code.');
  });

  it('start a new filter on the page, and take an existing filter apart for editing', () => {
    expect(draftOf(null)).toEqual({ dimension: 'page', propKey: '', op: 'is', values: [''], none: false });
    expect(draftOf(['is_not', 'page', ['/admin', '/login']])).toEqual({ dimension: 'page', propKey: '', op: 'is_not', values: ['/admin', '/login'], none: false });
    expect(draftOf(['matches', 'prop:plan type', ['pro*']])).toMatchObject({ dimension: 'prop', propKey: 'plan type', values: ['pro*'] });
    // "Referrer is Direct / None" (a row click): the empty value cannot be typed, so it is kept apart.
    expect(draftOf(['is', 'referrer', ['', 'https://t.co/']])).toMatchObject({ values: ['https://t.co/'], none: true });
  });

  it('turn into the API\'s [op, dimension, values], trimmed, blank rows and repeats left out', () => {
    expect(filterOfDraft(draft({ op: 'is_not', values: [' /admin ', '', '/admin', '/login'] }))).toEqual({
      ok: true,
      filter: ['is_not', 'page', ['/admin', '/login']],
    });
    expect(filterOfDraft(draft({ dimension: 'source', op: 'contains', values: ['goo'] }))).toEqual({ ok: true, filter: ['contains', 'source', ['goo']] });
    expect(filterOfDraft(draft({ dimension: 'prop', propKey: ' plan ', op: 'matches', values: ['pro*'] }))).toEqual({
      ok: true,
      filter: ['matches', 'prop:plan', ['pro*']],
    });
    expect(filterOfDraft(draftOf(['is', 'referrer', ['']]))).toEqual({ ok: true, filter: ['is', 'referrer', ['']] });
  });

  it('say what is missing instead of making a filter the API would refuse or that means nothing', () => {
    expect(filterOfDraft(draft({ values: [''] }))).toEqual({ ok: false, problem: { field: 'values', index: 0, message: 'Enter a value to filter by.' } });
    expect(filterOfDraft(draft({ values: ['   '] }))).toMatchObject({ ok: false, problem: { field: 'values' } });
    expect(filterOfDraft(draft({ dimension: 'prop', propKey: '  ', values: ['pro'] }))).toEqual({
      ok: false,
      problem: { field: 'key', message: 'Enter the property’s key, e.g. plan.' },
    });
    expect(filterOfDraft(draft({ dimension: 'prop', propKey: 'k'.repeat(65), values: ['x'] }))).toMatchObject({ ok: false, problem: { field: 'key' } });
    expect(filterOfDraft(draft({ dimension: 'prop', propKey: 'a\u0001b', values: ['x'] }))).toMatchObject({ ok: false, problem: { field: 'key' } });
    expect(filterOfDraft(draft({ values: ['/ok', 'x'.repeat(1025)] }))).toMatchObject({ ok: false, problem: { field: 'values', index: 1 } });
    expect(filterOfDraft(draft({ values: Array.from({ length: 101 }, (_, i) => `/p${i}`) }))).toMatchObject({ ok: false, problem: { field: 'values' } });
    // "Contains nothing" would match every value: the empty value goes with is / is not only.
    expect(filterOfDraft({ ...draftOf(['is', 'referrer', ['']]), op: 'contains' })).toMatchObject({ ok: false, problem: { field: 'values' } });
  });

  it('take countries by name or code, and only with is / is not', () => {
    expect(opsFor('country')).toEqual(['is', 'is_not']);
    expect(opsFor('page')).toEqual(['is', 'is_not', 'contains', 'matches']);
    expect(filterOfDraft(draft({ dimension: 'country', values: ['Germany', 'us', 'DE'] }))).toEqual({ ok: true, filter: ['is', 'country', ['DE', 'US']] });
    expect(filterOfDraft(draft({ dimension: 'country', values: ['Atlantis'] }))).toMatchObject({ ok: false, problem: { field: 'values', index: 0 } });
    expect(filterOfDraft(draft({ dimension: 'country', op: 'contains', values: ['DE'] }))).toMatchObject({ ok: false, problem: { field: 'dimension' } });
  });

  it('apply in place when editing, add another filter on the same dimension once, and refuse one too many', () => {
    const fs: Filter[] = [
      ['is', 'page', ['/a']],
      ['is', 'country', ['DE']],
    ];
    expect(applyDraft(fs, 0, draft({ op: 'is_not', values: ['/admin'] }))).toMatchObject({
      ok: true,
      filters: [['is_not', 'page', ['/admin']], ['is', 'country', ['DE']]],
    });
    expect(applyDraft(fs, null, draft({ op: 'contains', values: ['/blog'] }))).toMatchObject({
      ok: true,
      filters: [['is', 'page', ['/a']], ['is', 'country', ['DE']], ['contains', 'page', ['/blog']]],
    });
    // The same filter again adds nothing.
    expect(applyDraft(fs, null, draft({ values: ['/a'] }))).toMatchObject({ ok: true, filters: fs });
    expect(duplicateOf(fs, null, draft({ values: ['/a'] }))).toEqual(['is', 'page', ['/a']]);
    expect(duplicateOf(fs, null, draft({ values: ['/blog'] }))).toBeNull();
    // The filter being edited is no duplicate of itself.
    expect(duplicateOf(fs, 0, draft({ values: ['/a'] }))).toBeNull();
    expect(duplicateOf(fs, 0, draft({ dimension: 'country', values: ['germany'] }))).toEqual(['is', 'country', ['DE']]);
    expect(duplicateOf(fs, null, draft({ values: [''] }))).toBeNull();
    expect(applyDraft(fs, null, draft({ values: [''] }))).toMatchObject({ ok: false, problem: { field: 'values' } });

    const full: Filter[] = Array.from({ length: MAX_FILTERS }, (_, i) => ['is', `prop:k${i}`, ['v']] as Filter);
    expect(applyDraft(full, null, draft({ values: ['/a'] }))).toMatchObject({ ok: false, problem: { field: 'dimension' } });
    // Another on a filtered dimension is one more; editing one, or one already there, adds none.
    expect(applyDraft(full, null, draft({ dimension: 'prop', propKey: 'k3', values: ['w'] }))).toMatchObject({ ok: false, problem: { field: 'dimension' } });
    expect(applyDraft(full, null, draft({ dimension: 'prop', propKey: 'k3', values: ['v'] }))).toMatchObject({ ok: true, filters: full });
    expect(applyDraft(full, 3, draft({ values: ['/a'] }))).toMatchObject({ ok: true });
  });
});
