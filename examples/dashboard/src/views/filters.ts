import { FILTER_OP_LABELS, dimensionLabel, type Filter } from '../dimensions.js';
import { h } from '../dom.js';
import { valueLabel } from '../labels.js';

/** A filter as a chip reads it, e.g. "Referrer is Direct / None": values named as their rows name them. */
export function filterText([op, dimension, values]: Filter): string {
  return `${dimensionLabel(dimension)} ${FILTER_OP_LABELS[op]} ${values.map((v) => valueLabel(dimension, v)).join(' or ')}`;
}

/** The active filters as chips; each chip's button removes its filter. */
export function renderFilterChips(
  into: HTMLElement,
  filters: readonly Filter[],
  onRemove: (dimension: string) => void,
  onClearAll: () => void,
): void {
  into.replaceChildren();
  into.hidden = filters.length === 0;
  if (filters.length === 0) return;
  const list = h('ul', { class: 'chips', 'aria-label': 'Active filters' });
  for (const filter of filters) {
    const dimension = filter[1];
    const text = filterText(filter);
    list.append(
      h(
        'li',
        { class: 'chip', 'data-testid': 'filter-chip', 'data-dimension': dimension },
        h('span', {}, text),
        h(
          'button',
          { type: 'button', class: 'chip-remove', 'aria-label': `Remove filter: ${text}`, title: 'Remove filter', onclick: () => onRemove(dimension) },
          '×',
        ),
      ),
    );
  }
  into.append(list);
  if (filters.length > 1) {
    into.append(h('button', { type: 'button', class: 'link-button', onclick: () => onClearAll() }, 'Clear all'));
  }
}
