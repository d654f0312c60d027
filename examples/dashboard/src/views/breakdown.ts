import type { ApiClient, QueryRow } from '../api.js';
import { METRIC_LABELS, type Filter, type Metric } from '../dimensions.js';
import { arrowKeyTabs, h, uid } from '../dom.js';
import { ApiError } from '../errors.js';
import { formatMetric, formatPercent, mixedCurrenciesNote } from '../format.js';
import { valueLabel } from '../labels.js';
import {
  GOALS_PANEL_ID,
  breakdownCsvQuery,
  breakdownQuery,
  conversionRate,
  countOf,
  groupBaseQuery,
  hasRevenue,
  noValuesNote,
  revenueCurrencies,
  revenueOf,
  revenueQuery,
  rowValue,
  tabUnderFilters,
  timeOnPageQuery,
  type BreakdownPanel,
  type BreakdownTab,
  type QueryContext,
} from '../query.js';
import { CsvDownload } from './csv-download.js';
import { runPanel } from './panel.js';

export interface BreakdownLoad {
  client: ApiClient;
  ctx: QueryContext;
  signal: AbortSignal;
  /** Unique visitors of the period under every filter but the goal's: conversion rates' denominator. */
  totalVisitors: Promise<number | null>;
  /**
   * The goals tab's revenue column when the caller has it already (the goal cards' answer under a
   * one-event goal filter; null when that failed): no query of its own then (its Custom events tab,
   * by event name; the Currencies tab asks its own).
   */
  goalsRevenue?: Promise<RevenueColumn | null> | undefined;
}

/** A table's revenue column: revenue by row value, and the currencies it adds up (null: unknown). */
export interface RevenueColumn {
  of: (value: string) => number | null;
  currencies: readonly string[] | null;
}

export interface BreakdownOptions {
  onFilter(f: Filter): void;
  onAuthError(err: ApiError): void;
}

/**
 * A metric's column header: "Unique visitors" is "Visitors" in a column that needs to stay narrow,
 * and "Conversions" in a tab of a goal's conversions.
 */
function columnLabel(m: Metric, tab: BreakdownTab): string {
  if (tab.conversions && m === 'visitors') return 'Conversions';
  const s = METRIC_LABELS[m].replace(/^(Unique|Total) /, '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Each row's conversion rate denominator, by row value (null: unknown); null for a tab without rates. */
type RateBase = ((value: string) => number | null) | null;

/** Each row's average time on page in seconds, by row value (null: unknown). */
type TimeOnPage = (value: string) => number | null;

/** A breakdown panel: tabs over related dimensions and a top-10 table whose rows filter the dashboard. */
export class BreakdownView {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly tabButtons: HTMLButtonElement[] = [];
  private active: BreakdownTab;
  private last: BreakdownLoad | null = null;
  private controller: AbortController | null = null;
  private readonly csv: CsvDownload;

  constructor(
    private readonly panel: BreakdownPanel,
    private readonly opts: BreakdownOptions,
  ) {
    const first = panel.tabs[0];
    if (!first) throw new TypeError(`BreakdownView: panel ${panel.id} has no tabs`);
    this.active = first;
    // The file is the tab shown, under the filters shown, without the top-10 cut.
    this.csv = new CsvDownload({
      label: csvLabel(first),
      testId: `csv-${panel.id}`,
      request: () => this.last && { client: this.last.client, body: breakdownCsvQuery(this.last.ctx, tabUnderFilters(this.active, this.last.ctx.filters)) },
      onAuthError: opts.onAuthError,
    });
    const titleId = uid('panel-title');
    const bodyId = uid('panel-body');
    this.body = h('div', { class: 'panel-body', id: bodyId, role: panel.tabs.length > 1 ? 'tabpanel' : null });
    let header: HTMLElement;
    if (panel.tabs.length > 1) {
      const list = h('div', { class: 'tabs', role: 'tablist', 'aria-labelledby': titleId });
      for (const tab of panel.tabs) {
        const b = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: `${bodyId}-${tab.id}`,
            'aria-controls': bodyId,
            'aria-selected': tab === first ? 'true' : 'false',
            tabindex: tab === first ? '0' : '-1',
            'data-tab': tab.id,
            onclick: () => this.select(tab),
          },
          tab.label,
        );
        this.tabButtons.push(b);
        list.append(b);
      }
      arrowKeyTabs(list, (el) => {
        const tab = panel.tabs.find((t) => t.id === el.dataset.tab);
        if (tab) this.select(tab);
      });
      this.body.setAttribute('aria-labelledby', `${bodyId}-${first.id}`);
      header = h('header', { class: 'panel-header' }, h('h2', { id: titleId }, panel.title), h('div', { class: 'panel-tools' }, list, this.csv.button));
    } else {
      header = h('header', { class: 'panel-header' }, h('h2', { id: titleId }, panel.title), h('div', { class: 'panel-tools' }, this.csv.button));
    }
    this.el = h('section', { class: 'panel breakdown', 'data-panel': panel.id, 'aria-labelledby': titleId }, header, this.csv.status, this.body);
  }

  load(l: BreakdownLoad): void {
    this.last = l;
    this.csv.clear();
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    l.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const tab = tabUnderFilters(this.active, l.ctx.filters);
    const nothing = tab.dimension === 'event_name' ? 'custom events' : tab.conversions ? 'conversions' : tab.dimension === 'revenue_currency' ? 'revenue' : 'data';
    void runPanel({
      body: this.body,
      signal: controller.signal,
      emptyText: `No ${nothing} in this period.`,
      onAuthError: this.opts.onAuthError,
      retry: () => this.load(l),
      task: async () => {
        const [result, revenue] = await Promise.all([
          l.client.query(breakdownQuery(l.ctx, tab), controller.signal),
          // The goal cards' revenue is the goals tab's (by event name), not the Currencies tab's.
          tab.revenue ? ((tab.dimension === 'event_name' ? l.goalsRevenue : undefined) ?? this.loadRevenue(l, tab, controller.signal)) : null,
        ]);
        // Not awaited: it reads raw events (seconds on a big site), so the table shows first and
        // the column fills in when its answer comes.
        const timeOnPage = this.loadTimeOnPage(l, tab, result.rows, controller.signal);
        const base = await this.rateBase(l, tab, result.rows, controller.signal);
        return { rows: result.rows, base, revenue, timeOnPage };
      },
      render: ({ rows, base, revenue, timeOnPage }) => this.renderTable(tab, rows, base, revenue, timeOnPage),
    });
  }

  /**
   * What each row's conversion rate divides by: every goal's, the period's visitors without the goal
   * (shared with the cards); a row of a goal's conversions, its own visitors without the goal, asked
   * once the rows are known. Like revenue, a failed answer costs only the rates ("—").
   */
  private async rateBase(l: BreakdownLoad, tab: BreakdownTab, rows: QueryRow[], signal: AbortSignal): Promise<RateBase> {
    if (this.panel.id === GOALS_PANEL_ID) {
      const total = await l.totalVisitors.catch(() => null);
      return () => total;
    }
    if (!tab.conversions || rows.length === 0) return null;
    try {
      const values = rows.map(rowValue);
      return countOf((await l.client.query(groupBaseQuery(l.ctx, tab, values), signal)).rows);
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.isAuth)) throw err;
      return () => null;
    }
  }

  /**
   * The rows' average time on page (`timeOnPageQuery`), asked once the rows are known; null when the
   * tab has no such column. A failed answer costs only the column ("—"); a revoked key is told by
   * the panels' next requests.
   */
  private loadTimeOnPage(l: BreakdownLoad, tab: BreakdownTab, rows: QueryRow[], signal: AbortSignal): Promise<TimeOnPage> | null {
    const body = timeOnPageQuery(l.ctx, tab, rows.map(rowValue));
    if (!body) return null;
    return l.client.query(body, signal).then(
      (answer) => countOf(answer.rows),
      () => () => null,
    );
  }

  /**
   * Revenue by row value, asked alongside the table's own query; null when it failed: the column is
   * extra, so the table shows without it (a revoked key still fails the table's own query).
   */
  private async loadRevenue(l: BreakdownLoad, tab: BreakdownTab, signal: AbortSignal): Promise<RevenueColumn | null> {
    try {
      const result = await l.client.query(revenueQuery(l.ctx, tab), signal);
      return { of: revenueOf(result.rows), currencies: revenueCurrencies(result, l.ctx.filters) };
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.isAuth)) throw err;
      return null;
    }
  }

  private select(tab: BreakdownTab): void {
    if (tab === this.active) return;
    this.active = tab;
    this.csv.setLabel(csvLabel(tab));
    for (const b of this.tabButtons) {
      const on = b.dataset.tab === tab.id;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      if (on) this.body.setAttribute('aria-labelledby', b.id);
    }
    this.body.dataset.state = '';
    if (this.last) this.load(this.last);
  }

  private renderTable(tab: BreakdownTab, rows: QueryRow[], rateBase: RateBase, column: RevenueColumn | null, timeOnPage: Promise<TimeOnPage> | null): boolean {
    if (rows.length === 0) return false;
    const revenueFor = column?.of ?? null;
    // Only when some row earned any: a column of zeros on every site without revenue says nothing.
    const revenue = revenueFor && rows.some((r) => hasRevenue(revenueFor(rowValue(r)))) ? revenueFor : null;
    // By currency, each row's revenue is in the row's own; otherwise in the column's, when it has one
    // (€71.70), else plain numbers with a note that they add up several currencies.
    const perRow = tab.dimension === 'revenue_currency';
    const currencies = perRow ? null : (column?.currencies ?? null);
    const mixed = revenue ? mixedCurrenciesNote(currencies) : null;
    // A goal without revenue beside one with: "—", not an amount of 0.00 it never had.
    const revenueText = (value: string) => {
      const earned = revenue?.(value);
      return formatMetric('revenue', hasRevenue(earned) ? earned : null, perRow ? [value] : currencies);
    };
    // Filled in when the time on page answers (loadTimeOnPage); until then the cells say it is coming.
    const timeCells: [string, HTMLElement][] = [];
    const timeCell = (value: string): HTMLElement => {
      const td = h('td', { class: 'num', 'data-metric': 'time_on_page', 'aria-busy': 'true' }, '…');
      timeCells.push([value, td]);
      return td;
    };
    void timeOnPage?.then((of) => {
      for (const [value, td] of timeCells) {
        td.textContent = formatMetric('time_on_page', of(value));
        td.removeAttribute('aria-busy');
      }
    });
    const max = Math.max(1, ...rows.map((r) => r.metrics[0] ?? 0));
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, tab.column),
      tab.metrics.map((m) => h('th', { scope: 'col', class: 'num' }, columnLabel(m, tab))),
      // Three words in a column as narrow as the others': they wrap rather than being cut.
      timeOnPage ? h('th', { scope: 'col', class: 'num num-wrap' }, METRIC_LABELS.time_on_page) : null,
      revenue ? h('th', { scope: 'col', class: 'num' }, METRIC_LABELS.revenue) : null,
      rateBase ? h('th', { scope: 'col', class: 'num num-short' }, h('abbr', { title: 'Conversion rate' }, 'CR')) : null,
    );
    const body = rows.map((r) => {
      const value = rowValue(r);
      const label = valueLabel(tab.dimension, value);
      const share = ((r.metrics[0] ?? 0) / max) * 100;
      const cr = rateBase ? conversionRate(r.metrics[0] ?? 0, rateBase(value)) : null;
      return h(
        'tr',
        { 'data-value': value },
        h(
          'th',
          { scope: 'row', class: 'row-label' },
          h('span', { class: 'bar', style: `width:${share.toFixed(1)}%`, 'aria-hidden': 'true' }),
          h(
            'button',
            {
              type: 'button',
              class: 'row-filter',
              title: `Filter by ${tab.column.toLowerCase()} ${label}`,
              'aria-label': `Filter by ${tab.column.toLowerCase()} ${label}`,
              onclick: () => this.opts.onFilter(['is', tab.dimension, [value]]),
            },
            label,
          ),
        ),
        tab.metrics.map((m, i) => h('td', { class: 'num', 'data-metric': m }, formatMetric(m, r.metrics[i]))),
        timeOnPage ? timeCell(value) : null,
        revenue ? h('td', { class: 'num', 'data-metric': 'revenue' }, revenueText(value)) : null,
        rateBase ? h('td', { class: 'num', 'data-metric': 'conversion_rate' }, cr === null ? '—' : formatPercent(cr)) : null,
      );
    });
    this.body.append(
      h('table', { class: 'breakdown-table', 'data-dimension': tab.dimension }, h('thead', {}, head), h('tbody', {}, body)),
    );
    const note = noValuesNote(tab, rows);
    if (note) this.body.append(h('p', { class: 'small no-values-note', 'data-testid': 'no-values-note' }, note));
    if (mixed) {
      this.body.append(
        h(
          'p',
          { class: 'currency-note small', 'data-testid': 'currency-note', title: 'Revenue adds up the amounts as sent: currencies are not converted. The Currencies tab has each one apart.' },
          `Revenue: ${mixed}`,
        ),
      );
    }
    return true;
  }
}

function csvLabel(tab: BreakdownTab): string {
  return `Download ${tab.label} as CSV`;
}
