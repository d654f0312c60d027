import { h } from '../dom.js';
import type { Change } from '../format.js';

/**
 * A change against the compared period as the cards show it: an arrow, the text ("+12%", "−3.4 pp"),
 * coloured by whether it is good news, and its spoken form for screen readers (also the tooltip).
 */
export function changeBadge(change: Change, testId: string): HTMLElement {
  return h(
    'span',
    {
      class: `change change-${change.direction} ${change.good === null ? '' : change.good ? 'good' : 'bad'}`,
      'data-testid': testId,
      title: change.label,
    },
    h('span', { 'aria-hidden': 'true' }, change.direction === 'up' ? '↑ ' : change.direction === 'down' ? '↓ ' : ''),
    change.text,
    h('span', { class: 'visually-hidden' }, ` (${change.label})`),
  );
}
