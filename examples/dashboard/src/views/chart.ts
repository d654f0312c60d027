import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Measure } from '../dimensions.js';
import { h } from '../dom.js';
import { formatBucket, formatChange, formatCompact, formatMetric, mixedCurrenciesNote } from '../format.js';
import type { Granularity } from '../range.js';
import { isolatedPoints } from '../series.js';
import { calendarDateOf } from '../time.js';
import { axisLabels, tickBuckets } from '../ticks.js';

export interface SeriesData {
  buckets: number[];
  values: (number | null)[];
  metric: Measure;
  /** The metric's name as its card gives it ("Unique conversions" under a goal). */
  label: string;
  granularity: Granularity;
  timeZone: string;
  /** The compared period's line; null or absent without a comparison. */
  compared?: ComparedLine | null;
  /**
   * The currencies a revenue series adds up (the API's `meta.revenue_currencies`): with one, values
   * read as that money; with several, as plain numbers under a note saying so.
   */
  currencies?: readonly string[] | null;
}

/** A value of the series in its unit (money in the series' one currency). */
const valueOf = (d: SeriesData) => (v: number | null | undefined): string => formatMetric(d.metric, v, d.currencies);

/** The compared period, drawn bucket by bucket against the chart's (compare-series.ts). */
export interface ComparedLine {
  /** Per bucket of the chart, the value of its counterpart in the compared period; null is a gap. */
  values: (number | null)[];
  /** Per bucket of the chart, the start of that counterpart; null where there is none. */
  buckets: (number | null)[];
  /** The two periods' names, for the legend: "1 Dec – 7 Dec" and "24 Nov – 30 Nov", "7 Dec" and "yesterday". */
  periodLabel: string;
  comparedLabel: string;
}

const CHART_HEIGHT = 260;
const ACCENT = '#4f46e5';
/**
 * The compared line: fainter than the period's and dashed, as Plausible and GA draw it, and opaque,
 * with a contrast of 3.3:1 on white (WCAG's minimum for a graphic that carries meaning).
 */
export const COMPARED_STROKE = '#8588c4';

/**
 * The time-series chart: uPlot on a canvas, plus the same numbers as a table for screen readers and
 * keyboard users (a canvas has no text to read).
 */
export class ChartView {
  readonly el: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly table: HTMLElement;
  /** "mixed currencies: EUR, USD" under a revenue chart whose amounts add up several currencies. */
  private readonly note: HTMLElement;
  private plot: uPlot | null = null;
  /** Follows the cursor with both periods' dates and values; the table says the same to assistive tech. */
  private tooltip: HTMLElement | null = null;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    this.plotHost = h('div', { class: 'chart-canvas', role: 'img', 'data-testid': 'chart' });
    this.table = h('div', { class: 'chart-table' });
    this.note = h('p', {
      class: 'currency-note small',
      'data-testid': 'chart-currency-note',
      title: 'Revenue adds up the amounts as sent: currencies are not converted.',
      hidden: true,
    });
    this.el = h(
      'div',
      { class: 'chart' },
      this.plotHost,
      this.note,
      h('details', { class: 'chart-details' }, h('summary', {}, 'Show the numbers as a table'), this.table),
    );
    this.resize.observe(this.plotHost);
  }

  show(d: SeriesData): void {
    const xs = d.buckets.map((t) => t / 1000);
    const summary = (values: readonly (number | null)[]) => {
      const total = values.reduce<number>((a, v) => a + (v ?? 0), 0);
      const peak = values.reduce<number>((a, v) => Math.max(a, v ?? 0), 0);
      return `peak ${valueOf(d)(peak)}` + (isAdditive(d.metric) ? `, total ${valueOf(d)(total)}` : '');
    };
    const c = d.compared ?? null;
    this.plotHost.setAttribute(
      'aria-label',
      `${d.label} by ${d.granularity}, ${d.buckets.length} points, ${summary(d.values)}` +
        (c ? `; compared with ${c.comparedLabel}: ${summary(c.values)}` : ''),
    );
    this.plotHost.dataset.points = String(d.buckets.length);
    this.plotHost.dataset.compared = c ? 'yes' : 'no';
    const mixed = mixedCurrenciesNote(d.currencies);
    this.note.textContent = mixed ?? '';
    this.note.hidden = mixed === null;
    this.plot?.destroy();
    this.tooltip = null;
    const width = Math.max(280, this.plotHost.clientWidth || 600);
    this.plot = new uPlot(this.options(d, width), c ? [xs, d.values, c.values] : [xs, d.values], this.plotHost);
    this.tooltip = h('div', { class: 'chart-tooltip', 'aria-hidden': 'true', 'data-testid': 'chart-tooltip', hidden: true });
    this.plot.over.append(this.tooltip);
    this.renderTable(d);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
    this.tooltip = null;
  }

  private fit(): void {
    if (!this.plot) return;
    const width = Math.max(280, this.plotHost.clientWidth);
    if (Math.abs(width - this.plot.width) > 1) this.plot.setSize({ width, height: CHART_HEIGHT });
  }

  private options(d: SeriesData, width: number): uPlot.Options {
    // Away from the cursor the legend shows the latest bucket with a value rather than "—": the
    // number a merchant looks for first.
    const latest = d.values.findLastIndex((v) => v !== null);
    // Between gaps a value has no line to be part of: it is drawn as a point even in long series.
    const isolated = isolatedPoints(d.values);
    const at = (idx: number | null) => (idx === null ? (latest >= 0 ? latest : null) : idx);
    const c = d.compared ?? null;
    const isolatedCompared = c ? isolatedPoints(c.values) : [];
    const fmtX = (_u: uPlot, _v: number | null, _s: number, idx: number | null) => {
      const i = at(idx);
      const t = i === null ? undefined : d.buckets[i];
      return t === undefined ? '—' : formatBucket(t, d.granularity, d.timeZone);
    };
    return {
      width,
      height: CHART_HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), d.timeZone),
      cursor: { points: { size: 8 }, drag: { x: false, y: false } },
      legend: { live: true },
      hooks: { setCursor: [(u) => this.moveTooltip(u, d)] },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {
          stroke: '#6b7280',
          grid: { show: false },
          ticks: { show: false },
          // Ticks sit on bucket starts (thinned to fit), so every label names a real data point.
          splits: (u) => tickBuckets(d.buckets, d.granularity, d.timeZone, u.bbox.width / devicePixelRatio).map((t) => t / 1000),
          values: (_u, splits) => axisLabels(splits.map((t) => t * 1000), d.granularity, d.timeZone),
        },
        {
          stroke: '#6b7280',
          grid: { stroke: '#e5e7eb', width: 1 },
          ticks: { show: false },
          size: 60,
          // Counts get whole-number ticks only; "1, 1, 1" from rounding 0.2 steps reads as a bug.
          ...(isWhole(d.metric) ? { incrs: WHOLE_INCRS } : {}),
          values: (_u, ticks) => ticks.map((t) => (isWhole(d.metric) ? formatCompact(t) : valueOf(d)(t))),
        },
      ],
      series: [
        { label: 'Time', value: fmtX },
        {
          // With a comparison the legend names both periods (the heading names the metric).
          label: c ? c.periodLabel : d.label,
          stroke: ACCENT,
          width: 2,
          fill: 'rgba(79, 70, 229, 0.08)',
          points: { show: d.buckets.length <= 60, filter: (_u, _s, show) => (show || isolated.length === 0 ? null : isolated) },
          spanGaps: false,
          value: (_u, _v, _s, idx) => {
            const i = at(idx);
            return valueOf(d)(i === null ? null : d.values[i]);
          },
        },
        ...(c
          ? [
              {
                label: c.comparedLabel,
                stroke: COMPARED_STROKE,
                width: 2,
                dash: [6, 4],
                points: {
                  show: d.buckets.length <= 60,
                  filter: (_u: uPlot, _s: number, show: boolean) => (show || isolatedCompared.length === 0 ? null : isolatedCompared),
                },
                spanGaps: false,
                value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) => {
                  const i = at(idx);
                  return valueOf(d)(i === null ? null : c.values[i]);
                },
              } satisfies uPlot.Series,
            ]
          : []),
      ],
    };
  }

  /**
   * The tooltip at the cursor's bucket: its date and value, the compared bucket's date and value
   * (or "—" where the compared period has none), and the change between them.
   */
  private moveTooltip(u: uPlot, d: SeriesData): void {
    const tip = this.tooltip;
    if (!tip) return;
    const i = u.cursor.idx;
    const t = i === null || i === undefined ? undefined : d.buckets[i];
    if (i === null || i === undefined || t === undefined) {
      tip.hidden = true;
      delete tip.dataset.index;
      return;
    }
    const c = d.compared ?? null;
    const value = d.values[i] ?? null;
    const row = (kind: 'current' | 'compared', date: string, v: number | null) =>
      h(
        'div',
        { class: `tooltip-row tooltip-${kind}`, 'data-testid': `tooltip-${kind}` },
        h('span', { class: `tooltip-swatch swatch-${kind}` }),
        h('span', { class: 'tooltip-date' }, date),
        h('strong', { class: 'tooltip-value' }, valueOf(d)(v)),
      );
    const rows: HTMLElement[] = [h('div', { class: 'tooltip-title' }, d.label), row('current', formatBucket(t, d.granularity, d.timeZone), value)];
    if (c) {
      const ct = c.buckets[i] ?? null;
      const cv = c.values[i] ?? null;
      const otherYear = ct !== null && calendarDateOf(ct, d.timeZone).year !== calendarDateOf(t, d.timeZone).year;
      rows.push(row('compared', ct === null ? 'no such period' : formatBucket(ct, d.granularity, d.timeZone, otherYear), cv));
      const change = formatChange(d.metric, value, cv, c.comparedLabel);
      if (change) {
        rows.push(
          h(
            'div',
            { class: `tooltip-change change-${change.direction} ${change.good === null ? '' : change.good ? 'good' : 'bad'}`, 'data-testid': 'tooltip-change' },
            `${change.direction === 'up' ? '↑ ' : change.direction === 'down' ? '↓ ' : ''}${change.text}`,
          ),
        );
      }
    }
    tip.replaceChildren(...rows);
    tip.dataset.index = String(i);
    tip.hidden = false;
    // Beside the cursor, on the side with room, inside the plot.
    const left = u.cursor.left ?? 0;
    const top = u.cursor.top ?? 0;
    const width = tip.offsetWidth;
    const plotWidth = u.over.clientWidth;
    tip.style.left = `${left + 12 + width > plotWidth ? Math.max(0, left - 12 - width) : left + 12}px`;
    tip.style.top = `${Math.max(0, Math.min(top, u.over.clientHeight - tip.offsetHeight))}px`;
  }

  private renderTable(d: SeriesData): void {
    const c = d.compared ?? null;
    const rows = d.buckets.map((t, i) => {
      const ct = c?.buckets[i] ?? null;
      return h(
        'tr',
        {},
        h('th', { scope: 'row' }, formatBucket(t, d.granularity, d.timeZone)),
        h('td', { 'data-series': 'current' }, valueOf(d)(d.values[i])),
        c
          ? [
              h('td', { 'data-series': 'compared-period' }, ct === null ? '—' : formatBucket(ct, d.granularity, d.timeZone, true)),
              h('td', { 'data-series': 'compared' }, valueOf(d)(c.values[i])),
            ]
          : null,
      );
    });
    this.table.replaceChildren(
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, `${d.label} by ${d.granularity}` + (c ? `, ${c.periodLabel} compared with ${c.comparedLabel}` : '')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Period'),
            h('th', { scope: 'col' }, c ? `${d.label}, ${c.periodLabel}` : d.label),
            c ? [h('th', { scope: 'col' }, 'Compared period'), h('th', { scope: 'col' }, `${d.label}, ${c.comparedLabel}`)] : null,
          ),
        ),
        h('tbody', {}, rows),
      ),
    );
  }
}

const WHOLE_INCRS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9].map((p) => m * p)).sort((a, b) => a - b);

function isWhole(m: Measure): boolean {
  return m === 'visitors' || m === 'visits' || m === 'pageviews' || m === 'events';
}

/** Metrics whose buckets add up to the period's total (unique visitors do not). */
function isAdditive(m: Measure): boolean {
  return m === 'visits' || m === 'pageviews' || m === 'events' || m === 'revenue';
}
