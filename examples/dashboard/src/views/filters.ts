import { FILTER_OP_LABELS, dimensionLabel, type Filter } from '../dimensions.js';
import { h } from '../dom.js';
import { valueLabel } from '../labels.js';

/** A filter as a chip reads it, e.g. "Referrer is Direct / None": values named as their rows name them. */
export function filterText([op, dimension, values]: Filter): string {
  return `${dimensionLabel(dimension)} ${FILTER_OP_LABELS[op]} ${filterValuesText([op, dimension, values])}`;
}

function filterValuesText([, dimension, values]: Filter): string {
  return values.map((v) => valueLabel(dimension, v)).join(' or ');
}

export interface FilterBarActions {
  /** Opens the filter editor for a new filter; `opener` gets focus back when it is cancelled. */
  onAdd(opener: HTMLElement): void;
  /** Opens the filter editor on a chip's filter (its index in the filters). */
  onEdit(index: number, opener: HTMLElement): void;
  /** Removes the chip's filter (its index): several chips may share a dimension. */
  onRemove(index: number): void;
  onClearAll(): void;
}

/**
 * The filter bar: a "Filter" button that opens the filter editor, then the active filters as chips.
 * A chip states its operator ("Page is not /admin") and opens the editor on its filter when clicked;
 * its × removes it. Rebuilt on every change: the button's fixed id brings focus back to it.
 */
export function renderFilterBar(into: HTMLElement, filters: readonly Filter[], actions: FilterBarActions): void {
  into.replaceChildren();
  into.hidden = false;
  const add: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      id: 'filter-add',
      class: 'filter-add',
      'data-testid': 'filter-add',
      'aria-haspopup': 'dialog',
      onclick: () => actions.onAdd(add),
    },
    h('span', { 'aria-hidden': 'true' }, '+ '),
    'Filter',
  );
  into.append(add);
  if (filters.length === 0) return;
  const list = h('ul', { class: 'chips', 'aria-label': 'Active filters' });
  for (const [index, filter] of filters.entries()) {
    const [op, dimension] = filter;
    const text = filterText(filter);
    const edit: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'chip-edit',
        'data-testid': 'filter-chip-edit',
        'aria-haspopup': 'dialog',
        'aria-label': `Edit filter: ${text}`,
        title: `Edit filter: ${text}`,
        onclick: () => actions.onEdit(index, edit),
      },
      `${dimensionLabel(dimension)} `,
      h('strong', { class: 'chip-op' }, FILTER_OP_LABELS[op]),
      ` ${filterValuesText(filter)}`,
    );
    list.append(
      h(
        'li',
        { class: 'chip', 'data-testid': 'filter-chip', 'data-index': String(index), 'data-dimension': dimension, 'data-op': op },
        edit,
        h(
          'button',
          { type: 'button', class: 'chip-remove', 'aria-label': `Remove filter: ${text}`, title: 'Remove filter', onclick: () => actions.onRemove(index) },
          '×',
        ),
      ),
    );
  }
  into.append(list);
  if (filters.length > 1) {
    into.append(h('button', { type: 'button', class: 'link-button', 'data-testid': 'filter-clear', onclick: () => actions.onClearAll() }, 'Clear all'));
  }
}
