import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Measure } from '../dimensions.js';
import { h } from '../dom.js';
import { formatBucket, formatCompact, formatMetric } from '../format.js';
import type { Granularity } from '../range.js';
import { isolatedPoints } from '../series.js';
import { axisLabels, tickBuckets } from '../ticks.js';

export interface SeriesData {
  buckets: number[];
  values: (number | null)[];
  metric: Measure;
  /** The metric's name as its card gives it ("Unique conversions" under a goal). */
  label: string;
  granularity: Granularity;
  timeZone: string;
}

const CHART_HEIGHT = 260;
const ACCENT = '#4f46e5';

/**
 * The time-series chart: uPlot on a canvas, plus the same numbers as a table for screen readers and
 * keyboard users (a canvas has no text to read).
 */
export class ChartView {
  readonly el: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly table: HTMLElement;
  private plot: uPlot | null = null;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    this.plotHost = h('div', { class: 'chart-canvas', role: 'img', 'data-testid': 'chart' });
    this.table = h('div', { class: 'chart-table' });
    this.el = h(
      'div',
      { class: 'chart' },
      this.plotHost,
      h('details', { class: 'chart-details' }, h('summary', {}, 'Show the numbers as a table'), this.table),
    );
    this.resize.observe(this.plotHost);
  }

  show(d: SeriesData): void {
    const xs = d.buckets.map((t) => t / 1000);
    const total = d.values.reduce<number>((a, v) => a + (v ?? 0), 0);
    const peak = d.values.reduce<number>((a, v) => Math.max(a, v ?? 0), 0);
    this.plotHost.setAttribute(
      'aria-label',
      `${d.label} by ${d.granularity}, ${d.buckets.length} points, peak ${formatMetric(d.metric, peak)}` +
        (isAdditive(d.metric) ? `, total ${formatMetric(d.metric, total)}` : ''),
    );
    this.plotHost.dataset.points = String(d.buckets.length);
    this.plot?.destroy();
    const width = Math.max(280, this.plotHost.clientWidth || 600);
    this.plot = new uPlot(this.options(d, width), [xs, d.values], this.plotHost);
    this.renderTable(d);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
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
          values: (_u, ticks) => ticks.map((t) => (isWhole(d.metric) ? formatCompact(t) : formatMetric(d.metric, t))),
        },
      ],
      series: [
        { label: 'Time', value: fmtX },
        {
          label: d.label,
          stroke: ACCENT,
          width: 2,
          fill: 'rgba(79, 70, 229, 0.08)',
          points: { show: d.buckets.length <= 60, filter: (_u, _s, show) => (show || isolated.length === 0 ? null : isolated) },
          spanGaps: false,
          value: (_u, _v, _s, idx) => {
            const i = at(idx);
            return formatMetric(d.metric, i === null ? null : d.values[i]);
          },
        },
      ],
    };
  }

  private renderTable(d: SeriesData): void {
    const rows = d.buckets.map((t, i) =>
      h('tr', {}, h('th', { scope: 'row' }, formatBucket(t, d.granularity, d.timeZone)), h('td', {}, formatMetric(d.metric, d.values[i]))),
    );
    this.table.replaceChildren(
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, `${d.label} by ${d.granularity}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Period'), h('th', { scope: 'col' }, d.label))),
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
