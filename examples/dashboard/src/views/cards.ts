import { cardLabel, type CardMetric } from '../dimensions.js';
import { h } from '../dom.js';
import { formatChange, formatMetric, isMoney, mixedCurrenciesNote } from '../format.js';
import { changeBadge } from './change-badge.js';
import type { Totals } from '../totals.js';

export interface CardsView {
  totals: Totals;
  /** A goal's conversions, named as such ("Unique conversions"), rather than traffic. */
  goal: boolean;
  selected: CardMetric;
  onSelect: (m: CardMetric) => void;
  /**
   * What the changes are against ("yesterday until 09:00", "26 Nov 2025 until 09:00",
   * `describeComparison`); null without a comparison (turned off, or nothing of the period has
   * elapsed), when the cards show no change at all. A period in progress is compared with part of
   * the one before, and a bare "−60%" would not say which part.
   */
  comparedWith: string | null;
}

/** The top cards; each one is a toggle that puts its metric on the chart. */
export function renderCards(into: HTMLElement, view: CardsView): void {
  const list = h('ul', { class: 'cards', 'aria-label': view.goal ? 'Conversions in the period' : 'Totals for the period' });
  for (const m of view.totals.cards) list.append(card(m, view));
  into.append(list);
  if (view.totals.previous && view.comparedWith) {
    into.append(h('p', { class: 'cards-compare muted small', 'data-testid': 'compare-label' }, `Compared with ${view.comparedWith}`));
  }
}

/**
 * Appends the cards `renderCards` did not show yet (a goal's revenue, known later than its
 * conversions). The shown ones stay as they are, and so does keyboard focus on one of them.
 */
export function addCards(into: HTMLElement, view: CardsView): void {
  const list = into.querySelector('ul.cards');
  if (!list) return renderCards(into, view);
  const shown = new Set([...list.querySelectorAll<HTMLElement>('[data-metric]')].map((b) => b.dataset.metric));
  for (const m of view.totals.cards) if (!shown.has(m)) list.append(card(m, view));
}

function card(m: CardMetric, { totals, goal, selected, onSelect, comparedWith }: CardsView): HTMLElement {
  const value = totals.current[m] ?? null;
  // Revenue in one currency reads as money (€71.70); a sum of several, as the plain number it is, marked.
  const currencies = isMoney(m) ? (totals.currencies ?? null) : null;
  const mixed = mixedCurrenciesNote(currencies);
  const change = formatChange(m, value, totals.previous?.[m] ?? null, comparedWith ?? undefined);
  const changeEl = change
    ? changeBadge(change, `change-${m}`)
    : h('span', { class: 'change change-none', 'data-testid': `change-${m}` }, comparedWith === null ? '' : noChange(value));
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: 'metric-card',
        'aria-pressed': m === selected ? 'true' : 'false',
        'data-testid': `card-${m}`,
        'data-metric': m,
        'data-value': value ?? '',
        onclick: () => onSelect(m),
      },
      h('span', { class: 'metric-label' }, cardLabel(m, goal)),
      h('span', { class: 'metric-value', 'data-testid': `value-${m}` }, formatMetric(m, value, currencies)),
      mixed
        ? h('span', { class: 'currency-note', 'data-testid': `currency-note-${m}`, title: 'Revenue adds up the amounts as sent: currencies are not converted.' }, mixed)
        : null,
      changeEl,
    ),
  );
}

/** Why a card shows no change: a card without a value (a rate without visits) has none to compare. */
function noChange(value: number | null): string {
  return value === null ? '' : 'no previous data';
}
