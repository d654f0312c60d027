import { countryCodeOf } from './countries.js';
import {
  DIMENSION_LABELS,
  FILTER_DIMENSIONS,
  MAX_PROP_KEY_LENGTH,
  isFilterDimension,
  type Filter,
  type FilterDimension,
  type FilterOp,
} from './dimensions.js';
import { MAX_FILTERS, addFilter, replaceFilterAt, sameFilter } from './state.js';

/**
 * What the filter editor holds while a person fills it in, and the rules that turn it into a filter
 * or into a message saying what is missing: the editor never sends a query the API would refuse.
 */

/** A dimension as the editor offers it: a named one, or "prop" with a key typed separately. */
export type DimensionChoice = (typeof FILTER_DIMENSIONS)[number] | 'prop';

export interface FilterDraft {
  dimension: DimensionChoice;
  /** The property's key, for `prop`. */
  propKey: string;
  op: FilterOp;
  /** The typed values, one a row; blank rows are left out. */
  values: string[];
  /**
   * The empty value ("Direct / None", "(none)"), which a breakdown row can filter by but nobody can
   * type: kept when a chip that has it is edited (with is / is not only).
   */
  none: boolean;
}

/** The editor's dimension menu, grouped as Plausible's filter menu is. */
export const DIMENSION_GROUPS: readonly { label: string; dimensions: readonly DimensionChoice[] }[] = [
  { label: 'Pages', dimensions: ['page', 'entry_page', 'exit_page'] },
  { label: 'Acquisition', dimensions: ['source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign'] },
  { label: 'Location', dimensions: ['country'] },
  { label: 'Technology', dimensions: ['device', 'browser', 'os'] },
  { label: 'Goals and properties', dimensions: ['event_name', 'revenue_currency', 'prop'] },
];

export function choiceLabel(d: DimensionChoice): string {
  return d === 'prop' ? 'Property' : DIMENSION_LABELS[d];
}

/** The operators a dimension takes: countries are codes, which only is / is not match usefully. */
export function opsFor(d: DimensionChoice): readonly FilterOp[] {
  return d === 'country' ? ['is', 'is_not'] : ['is', 'is_not', 'contains', 'matches'];
}

/**
 * What an operator does, under the values. Contains and matches ignore case (the dashboard sends them
 * with `{"case_sensitive": false}`, see `apiFilter`), as Plausible's dashboard does; is and is not
 * compare exactly.
 */
export const OP_HINTS: Record<FilterOp, string> = {
  is: 'Exactly one of these values.',
  is_not: 'None of these values.',
  contains: 'Contains any of these texts (ignores case).',
  matches: 'Matches any of these patterns, where * stands for any characters: /blog/* (ignores case).',
};

/** The hint under the values: what the operator does, and how a country is typed. */
export function opHint(d: DimensionChoice, op: FilterOp): string {
  return `${OP_HINTS[op]}${d === 'country' ? ' Type a country’s name or two-letter code.' : ''}`;
}

/** Limits the API sets on a filter (DESIGN.md, OpenAPI): values per filter and a value's length. */
export const MAX_FILTER_VALUES = 100;
export const MAX_VALUE_LENGTH = 1024;

/** A new filter's draft, or an existing filter's for editing it. */
export function draftOf(f: Filter | null): FilterDraft {
  if (!f) return { dimension: 'page', propKey: '', op: 'is', values: [''], none: false };
  const [op, dimension, values] = f;
  const prop = dimension.startsWith('prop:');
  return {
    dimension: prop ? 'prop' : (dimension as DimensionChoice),
    propKey: prop ? dimension.slice(5) : '',
    op,
    values: values.filter((v) => v !== ''),
    none: values.includes(''),
  };
}

/** The field a problem is about, so the editor can mark it and put focus there. */
export type DraftField = 'key' | 'values' | 'dimension';

export interface DraftProblem {
  field: DraftField;
  /** For `values`: which row (0-based), when one row is at fault. */
  index?: number;
  message: string;
}

export type DraftResult = { ok: true; filter: Filter } | { ok: false; problem: DraftProblem };

/** The filter a draft stands for, or what is wrong with it. */
export function filterOfDraft(d: FilterDraft): DraftResult {
  const fail = (field: DraftField, message: string, index?: number): DraftResult => ({
    ok: false,
    problem: index === undefined ? { field, message } : { field, message, index },
  });
  let dimension: FilterDimension;
  if (d.dimension === 'prop') {
    const key = d.propKey.trim();
    if (key === '') return fail('key', 'Enter the property’s key, e.g. plan.');
    if (key.length > MAX_PROP_KEY_LENGTH) return fail('key', `A property key is at most ${MAX_PROP_KEY_LENGTH} characters.`);
    const candidate = `prop:${key}`;
    if (!isFilterDimension(candidate)) return fail('key', 'A property key cannot contain control characters.');
    dimension = candidate;
  } else {
    dimension = d.dimension;
  }
  if (!opsFor(d.dimension).includes(d.op)) return fail('dimension', `${choiceLabel(d.dimension)} can be filtered with “is” or “is not” only.`);

  const values: string[] = [];
  for (const [i, raw] of d.values.entries()) {
    const v = raw.trim();
    if (v === '') continue;
    if (v.length > MAX_VALUE_LENGTH) return fail('values', `A value is at most ${MAX_VALUE_LENGTH} characters.`, i);
    if (d.dimension === 'country') {
      const code = countryCodeOf(v);
      if (!code) return fail('values', `“${v}” is not a country: type its name (Germany) or two-letter code (DE).`, i);
      values.push(code);
    } else {
      values.push(v);
    }
  }
  // The empty value only means something to is / is not ("contains nothing" matches everything).
  if (d.none && (d.op === 'is' || d.op === 'is_not')) values.push('');
  const unique = [...new Set(values)];
  if (unique.length === 0) {
    const first = d.values.findIndex((v) => v.trim() === '');
    return fail('values', 'Enter a value to filter by.', first < 0 ? undefined : first);
  }
  if (unique.length > MAX_FILTER_VALUES) return fail('values', `A filter takes at most ${MAX_FILTER_VALUES} values.`);
  return { ok: true, filter: [d.op, dimension, unique] };
}

/**
 * The filters once a draft is applied: an edited filter (`editing`: its index in `filters`) keeps
 * its place; a new one is added, also on a dimension that has filters (the API ANDs them: "Page
 * contains /blog" and "Page is not /blog/draft"), unless the same filter is there already; a new
 * one beyond `MAX_FILTERS` is refused.
 */
export function applyDraft(
  filters: readonly Filter[],
  editing: number | null,
  d: FilterDraft,
): { ok: true; filters: Filter[]; filter: Filter } | { ok: false; problem: DraftProblem } {
  const result = filterOfDraft(d);
  if (!result.ok) return result;
  const f = result.filter;
  const grows = editing === null && !filters.some((g) => sameFilter(g, f));
  if (grows && filters.length >= MAX_FILTERS) {
    return { ok: false, problem: { field: 'dimension', message: `At most ${MAX_FILTERS} filters at once: remove one first.` } };
  }
  return { ok: true, filter: f, filters: editing === null ? addFilter(filters, f) : replaceFilterAt(filters, editing, f) };
}

/**
 * The filter already applied that a draft is the same as (other than the one being edited, at
 * index `editing`): applying it adds nothing. Null when the draft is no valid filter yet.
 */
export function duplicateOf(filters: readonly Filter[], editing: number | null, d: FilterDraft): Filter | null {
  const result = filterOfDraft(d);
  if (!result.ok) return null;
  return filters.find((g, i) => i !== editing && sameFilter(g, result.filter)) ?? null;
}
