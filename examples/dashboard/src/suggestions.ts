import type { QueryRow } from './api.js';
import { FILTER_OP_LABELS, type Filter, type FilterDimension, type FilterOp } from './dimensions.js';
import { valueLabel } from './labels.js';
import { apiFilter, dateRangeOf, rowValue, type QueryBody, type QueryContext } from './query.js';

/**
 * Values the filter editor suggests as a person types, as Plausible's filter menu does: the
 * dimension's top values in the period under the other filters, narrowed to those containing what
 * was typed. One rollup query, like a breakdown's.
 */

export const SUGGESTION_LIMIT = 20;

export interface Suggestion {
  /** What the filter sends. */
  value: string;
  /** How the value reads ("Germany" for DE); the value itself for most dimensions. */
  label: string;
}

/**
 * The text a typed value narrows the suggestions by: the value, or a pattern's longest run without
 * `*` ("/blog/*" → "/blog/"), since the query looks for values containing it, ignoring case (as the
 * dashboard's contains and matches do): "goo" suggests "Google".
 */
export function needleOf(typed: string): string {
  return typed.split('*').reduce((best, part) => (part.trim().length > best.length ? part.trim() : best), '');
}

export function suggestionQuery(ctx: QueryContext, dimension: FilterDimension, typed: string): QueryBody {
  // The dimension's own filter would narrow the list to the values already chosen.
  const filters: Filter[] = ctx.filters.filter(([, d]) => d !== dimension);
  // Nobody types the empty value ("(none)"), and a country is typed by name as often as by code.
  filters.push(['is_not', dimension, ['']]);
  const t = needleOf(typed);
  if (t !== '' && dimension !== 'country') filters.push(['contains', dimension, [t]]);
  return {
    site_id: ctx.siteId,
    metrics: ['visitors'],
    date_range: dateRangeOf(ctx),
    dimensions: [dimension],
    filters: filters.map(apiFilter),
    order_by: [['visitors', 'desc']],
    limit: SUGGESTION_LIMIT,
    timezone: ctx.timezone,
  };
}

export function suggestionsOf(dimension: FilterDimension, rows: readonly QueryRow[]): Suggestion[] {
  return rows
    .map(rowValue)
    .filter((value) => value !== '')
    .map((value) => ({ value, label: valueLabel(dimension, value) }));
}

/**
 * What the filter editor says under the values once the suggestions for `typed` are in (none: ''):
 * that no value of the period contains the text (ignoring case, as the suggestions look), or, for
 * is / is not, which compare exactly, that the typed value is a suggestion's in another case
 * ("google" where the value is "Google"). Said, not refused: the period may just lack the value.
 */
export function noMatchText(op: FilterOp, dimension: FilterDimension, typed: string, list: readonly Suggestion[]): string {
  const needle = needleOf(typed);
  if (needle === '' || dimension === 'country') return '';
  if (list.length === 0) return `No value in this period contains “${needle}”.`;
  const value = typed.trim();
  if ((op === 'is' || op === 'is_not') && !list.some((x) => x.value === value)) {
    const other = list.find((x) => x.value.toLowerCase() === value.toLowerCase());
    if (other) return `“${FILTER_OP_LABELS[op]}” compares exactly, case included: did you mean “${other.value}”?`;
  }
  return '';
}
