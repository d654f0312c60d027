import type { QueryResult } from '../api.js';
import { CARD_METRICS, METRIC_LABELS, PER_VISIT_METRICS, type CardMetric } from '../dimensions.js';
import { h } from '../dom.js';
import { formatChange, formatMetric } from '../format.js';

/** Totals and previous-period values of the card metrics, in `CARD_METRICS` order. */
export interface Totals {
  current: Record<CardMetric, number | null>;
  previous: Record<CardMetric, number | null> | null;
}

export function totalsOf(result: QueryResult): Totals | null {
  const row = result.rows[0];
  if (!row) return null;
  const pick = (list: (number | null)[]) =>
    Object.fromEntries(CARD_METRICS.map((m, i) => [m, list[i] ?? null])) as Record<CardMetric, number | null>;
  const previous = row.comparison ? pick(row.comparison) : null;
  // Without a single visit before, rates and averages had no value; "+22 pp" against 0 would mislead.
  if (previous && !previous.visits) {
    for (const m of PER_VISIT_METRICS) previous[m] = null;
  }
  return { current: pick(row.metrics), previous };
}

/** The top cards; each one is a toggle that puts its metric on the chart. */
export function renderCards(
  into: HTMLElement,
  totals: Totals,
  selected: CardMetric,
  onSelect: (m: CardMetric) => void,
): void {
  const list = h('ul', { class: 'cards', 'aria-label': 'Totals for the period' });
  for (const m of CARD_METRICS) {
    const value = totals.current[m];
    const change = formatChange(m, value, totals.previous ? totals.previous[m] : null);
    const changeEl = change
      ? h(
          'span',
          {
            class: `change change-${change.direction} ${change.good === null ? '' : change.good ? 'good' : 'bad'}`,
            'data-testid': `change-${m}`,
            title: change.label,
          },
          h('span', { 'aria-hidden': 'true' }, change.direction === 'up' ? '↑ ' : change.direction === 'down' ? '↓ ' : ''),
          change.text,
          h('span', { class: 'visually-hidden' }, ` (${change.label})`),
        )
      : h('span', { class: 'change change-none', 'data-testid': `change-${m}` }, 'no previous data');
    list.append(
      h(
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
          h('span', { class: 'metric-label' }, METRIC_LABELS[m]),
          h('span', { class: 'metric-value', 'data-testid': `value-${m}` }, formatMetric(m, value)),
          changeEl,
        ),
      ),
    );
  }
  into.append(list);
}
