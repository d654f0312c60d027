import { createApiClient, type ApiClient, type QueryResult, type Site } from './api.js';
import { chartCompareRangeFor, compareRangeFor, compareUnavailable, effectiveCompare, type CompareDates, type CompareMode } from './compare-mode.js';
import { alignValues, comparePlan, comparedRows } from './compare-series.js';
import { describeComparison } from './comparison.js';
import { cardLabel, isGoalCard, isTrafficCard, type CardMetric, type Filter } from './dimensions.js';
import { h, keepFocus, replaceChildren, statusBox } from './dom.js';
import { ApiError, describeError } from './errors.js';
import { formatAgo, formatInstant, isMoney } from './format.js';
import { decodeFunnel, withFunnel } from './funnel-state.js';
import {
  PANELS,
  cardsQuery,
  chartCsvQuery,
  conversionBaseQuery,
  goalCardsQuery,
  goalFilter,
  goalRevenueColumn,
  goalRevenueQuery,
  goalSeriesQueries,
  revenueCurrencies,
  seriesOver,
  seriesQuery,
  singleGoal,
  unionCurrencies,
  withSeriesCompare,
  type QueryBody,
  type QueryContext,
} from './query.js';
import { bucketStarts, describeRange, effectiveGranularity, isAllTime, resolveRange, type Granularity, type ResolvedRange } from './range.js';
import { chartSeries, goalSeries, type ChartSeries } from './series.js';
import type { QueryRow } from './api.js';
import type { KeyStore } from './session.js';
import { decodeState, drillDown, encodeState, removeFilterAt, sameFilter, withCardMetric, type DashboardState } from './state.js';
import { suggestionQuery, suggestionsOf } from './suggestions.js';
import { goalTotalsOf, totalsOf, type Totals } from './totals.js';
import { BreakdownView } from './views/breakdown.js';
import { addCards, renderCards, type CardsView } from './views/cards.js';
import { ChartView, type ComparedLine } from './views/chart.js';
import {
  compareSelect,
  granularityPicker,
  rangePicker,
  siteSelect,
  timeZoneSelect,
  type ControlsActions,
  type ControlsModel,
} from './views/controls.js';
import { CsvDownload, type CsvRequest } from './views/csv-download.js';
import { FilterEditor } from './views/filter-editor.js';
import { FunnelView } from './views/funnel.js';
import { renderFilterBar } from './views/filters.js';
import { runPanel, withRateLimitRetry } from './views/panel.js';
import { RealtimeView } from './views/realtime.js';
import { signInView } from './views/signin.js';
import { parseSharedLink, takeSharedLink } from './shared-link.js';

export interface AppOptions {
  root: HTMLElement;
  keys: KeyStore;
  /** Same origin unless told otherwise. */
  apiBase?: string;
}

/** Everything one load derives from the state, computed once so all panels agree. */
interface View {
  site: Site;
  timeZone: string;
  resolved: ResolvedRange;
  granularity: Granularity;
  buckets: number[];
  ctx: QueryContext;
  /** What the cards' changes are against, in words; null without a comparison. */
  comparedWith: string | null;
  /** The span the chart's second line is drawn over (`chartCompareRangeFor`); null without one. */
  chartCompare: ResolvedRange | null;
  /** The legend's names of the period and of `chartCompare` ("1 Dec – 7 Dec", "24 Nov – 30 Nov"). */
  periodLabel: string;
  chartComparedLabel: string | null;
}

/** Wires sign-in, URL state and the panels together. */
export class App {
  private client: ApiClient | null = null;
  private sites: Site[] = [];
  private state: DashboardState = decodeState(location.search);
  private load: AbortController | null = null;
  private chartLoad: AbortController | null = null;
  private realtime: RealtimeView | null = null;
  private realtimeSite: string | null = null;
  private breakdowns: BreakdownView[] = [];
  private chart: ChartView | null = null;
  /** The chart's series as its CSV control downloads it: set by each chart load. */
  private chartCsvRequest: (() => CsvRequest) | null = null;
  private readonly chartCsv = new CsvDownload({
    label: 'Download the chart\'s numbers as CSV',
    testId: 'csv-chart',
    request: () => this.chartCsvRequest?.() ?? null,
    onAuthError: (err) => this.authFailed(err),
  });
  private readonly filterEditor = new FilterEditor();
  /** Its funnel is part of the link too: `writeUrl` adds it after `encodeState`'s parameters. */
  private readonly funnel = new FunnelView({
    initial: decodeFunnel(location.search),
    onChange: (history) => this.writeUrl(history),
    onAuthError: (err) => this.authFailed(err),
  });
  private readonly els = {
    title: h('h1', { class: 'page-title', 'data-testid': 'page-title' }),
    controls: h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Report settings' }),
    site: h('div', { class: 'site-slot' }),
    freshness: h('p', { class: 'freshness muted small', 'data-testid': 'freshness', 'aria-live': 'polite' }),
    chips: h('div', { class: 'filters', 'data-testid': 'filters' }),
    cards: h('div', { class: 'cards-body', 'data-testid': 'cards' }),
    granularity: h('div', { class: 'granularity-slot' }),
    chartTitle: h('h2', { id: 'chart-title' }),
    chart: h('div', { class: 'chart-body', 'data-testid': 'chart-panel' }),
    realtime: h('div', { class: 'realtime-slot' }),
    panels: h('div', { class: 'panels' }),
  };

  constructor(private readonly opts: AppOptions) {
    // A shared link pasted over an open dashboard changes only the fragment: no new page load.
    window.addEventListener('hashchange', () => {
      if (parseSharedLink(location.hash).kind === 'none') return;
      this.teardown();
      this.start();
    });
    window.addEventListener('popstate', () => {
      if (!this.client) return;
      // The editor drafts a change of the filters that were; back/forward changed them.
      this.filterEditor.close();
      this.state = decodeState(location.search);
      this.funnel.show(decodeFunnel(location.search));
      this.ensureSite();
      this.writeUrl('replace');
      keepFocus(() => this.refresh());
    });
  }

  start(): void {
    // Before any request: a shared link's key leaves the address bar for sessionStorage.
    const link = takeSharedLink(this.opts.keys);
    if (link.kind === 'invalid') return this.showSignIn(link.message);
    const key = this.opts.keys.get();
    if (key) void this.boot(key);
    else this.showSignIn(null);
  }

  private showSignIn(notice: string | null): void {
    this.teardown();
    document.title = 'Sign in · Pulse';
    replaceChildren(
      this.opts.root,
      signInView({
        notice,
        onSubmit: async (key) => {
          const client = createApiClient({ readKey: key, baseUrl: this.opts.apiBase ?? '' });
          let sites: Site[];
          try {
            sites = await client.sites();
          } catch (err) {
            throw new Error(describeError(err));
          }
          this.opts.keys.set(key);
          this.enter(client, sites);
          // The form that had focus is gone; the page's content is where a keyboard user goes next.
          this.opts.root.querySelector<HTMLElement>('#main')?.focus();
        },
      }),
    );
  }

  private async boot(key: string): Promise<void> {
    replaceChildren(this.opts.root, h('main', { class: 'boot', id: 'main', tabindex: '-1' }, statusBox('loading', 'Loading your sites…')));
    const client = createApiClient({ readKey: key, baseUrl: this.opts.apiBase ?? '' });
    try {
      this.enter(client, await client.sites());
    } catch (err) {
      if (err instanceof ApiError && err.isAuth) {
        this.opts.keys.clear();
        this.showSignIn(`${describeError(err)} Sign in again.`);
        return;
      }
      replaceChildren(
        this.opts.root,
        h('main', { class: 'boot', id: 'main', tabindex: '-1' }, statusBox('error', describeError(err), () => void this.boot(key))),
      );
    }
  }

  private enter(client: ApiClient, sites: Site[]): void {
    this.client = client;
    this.sites = sites;
    this.state = decodeState(location.search);
    this.funnel.show(decodeFunnel(location.search));
    if (sites.length === 0) {
      replaceChildren(
        this.opts.root,
        this.topbar(),
        h('main', { class: 'boot', id: 'main', tabindex: '-1' }, statusBox('empty', 'This read key has no sites yet. Ask your admin to create one.')),
      );
      return;
    }
    this.ensureSite();
    // A link's invalid values (metric=nonsense, range=bogus, tz=Mars/Base) fell back to defaults:
    // the address bar says what is shown, so a copied link shares this view and not the typo.
    this.writeUrl('replace');
    this.layout();
    this.refresh();
  }

  /** Falls back to the first site when the URL names none or one this key cannot see. */
  private ensureSite(): void {
    if (!this.sites.some((s) => s.site_id === this.state.site)) {
      this.state = { ...this.state, site: this.sites[0]?.site_id ?? null };
      this.writeUrl('replace');
    }
  }

  private topbar(): HTMLElement {
    return h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: './' }, h('span', { class: 'pulse-dot', 'aria-hidden': 'true' }), 'Pulse'),
      this.els.site,
      this.opts.keys.shared()
        ? h('span', { class: 'shared-badge', 'data-testid': 'shared-view', title: 'Opened from a shared link: this key shows only the sites it was given.' }, 'Shared view')
        : null,
      h('button', { type: 'button', class: 'link-button signout', onclick: () => this.signOut() }, 'Sign out'),
    );
  }

  private layout(): void {
    this.chart?.destroy();
    this.chart = new ChartView();
    this.breakdowns = PANELS.map(
      (p) =>
        new BreakdownView(p, {
          onFilter: (f) => this.addFilter(f),
          onAuthError: (err) => this.authFailed(err),
        }),
    );
    replaceChildren(this.els.panels, this.els.realtime, this.breakdowns.map((b) => b.el));
    this.els.cards.dataset.state = '';
    this.els.chart.dataset.state = '';
    replaceChildren(
      this.opts.root,
      this.topbar(),
      h(
        'main',
        { id: 'main', class: 'dashboard', tabindex: '-1' },
        this.els.title,
        h('div', { class: 'toolbar-row' }, this.els.controls, this.els.freshness),
        this.els.chips,
        h(
          'section',
          { class: 'panel overview', 'aria-labelledby': 'chart-title' },
          this.els.cards,
          h('header', { class: 'panel-header chart-header' }, this.els.chartTitle, h('div', { class: 'panel-tools' }, this.els.granularity, this.chartCsv.button)),
          this.chartCsv.status,
          this.els.chart,
        ),
        this.els.panels,
        this.funnel.el,
        this.filterEditor.el,
      ),
    );
  }

  private view(): View | null {
    const site = this.sites.find((s) => s.site_id === this.state.site);
    if (!site) return null;
    const timeZone = this.state.timezone ?? site.timezone;
    const now = Date.now();
    // "All time" starts with the local day the site was created, as the API's "all" does: its
    // instants make the chart's buckets, ticks and labels, while every query asks "all". A site
    // list without created_at (an older API) leaves "All time" at today, asked as instants, so
    // the panels agree with the chart.
    const resolved = resolveRange(this.state.range, now, timeZone, site.created_at);
    const allTime = isAllTime(this.state.range) && site.created_at !== null;
    // Nothing is compared with "All time": the chosen comparison waits in the state for another range.
    const mode = effectiveCompare(this.state.compare, this.state.range);
    const compare = compareRangeFor(mode, resolved, now, timeZone, this.state.compareDates);
    const chartCompare = chartCompareRangeFor(mode, resolved, now, timeZone, this.state.compareDates);
    const granularity = effectiveGranularity(this.state.granularity, resolved);
    const buckets = bucketStarts(resolved, granularity, timeZone);
    const weekday = { weekday: mode === 'year_over_year_weekday' };
    return {
      site,
      timeZone,
      resolved,
      granularity,
      buckets,
      ctx: { siteId: site.site_id, range: resolved, allTime, compare, filters: this.state.filters, timezone: timeZone },
      comparedWith: compare && describeComparison(compare, now, timeZone, weekday),
      chartCompare,
      periodLabel: describeComparison(resolved, now, timeZone, weekday),
      chartComparedLabel: chartCompare && describeComparison(chartCompare, now, timeZone, weekday),
    };
  }

  /** Re-renders the controls and reloads every panel for the current state. */
  private refresh(): void {
    const client = this.client;
    const v = this.view();
    if (!client || !v) return;
    this.load?.abort();
    const load = new AbortController();
    this.load = load;
    // Adding or removing a goal filter switches the cards; a charted metric the new ones lack
    // (pageviews under a goal) gives way to the first card, and the link says so.
    const valid = withCardMetric(this.state);
    if (valid !== this.state) {
      this.state = valid;
      this.writeUrl('replace');
    }
    document.title = `${v.site.domain} · ${describeRange(this.state.range)} · Pulse`;
    this.els.title.textContent = v.site.domain;
    this.renderControls(v);
    renderFilterBar(this.els.chips, this.state.filters, {
      onAdd: (opener) => this.editFilter(null, opener),
      onEdit: (index, opener) => this.editFilter(index, opener),
      onRemove: (index) => this.dropFilter(index),
      onClearAll: () => {
        this.update({ filters: [] });
        this.els.controls.querySelector<HTMLElement>('select')?.focus();
      },
    });
    this.els.freshness.textContent = '';

    // Conversion rates divide by the visitors without the goal filter: under "Goal is purchase"
    // every `visitors` answer counts buyers only, and every goal would convert 100 %. Asked (and
    // retried) once for the goal cards and the goals panel; null without a goal filter, when the
    // traffic cards' visitors are that number.
    const baseQuery = conversionBaseQuery(v.ctx);
    const base = baseQuery ? withRateLimitRetry(() => client.query(baseQuery, load.signal), load.signal) : null;
    base?.catch(() => undefined);
    // conversionBaseQuery and goalFilter share isGoalFilter, so `base` is there whenever goal cards are.
    let traffic: Promise<QueryResult> | null = null;
    let goalRevenue: Promise<QueryResult | null> | null = null;
    if (goalFilter(this.state.filters) && base) goalRevenue = this.loadGoalCards(client, v, base, load.signal);
    else traffic = this.loadTrafficCards(client, v, load.signal);
    this.loadChart(v, load.signal);
    const totalVisitors = base
      ? base.then((r) => r.rows[0]?.metrics[0] ?? null)
      : (traffic?.then((r) => totalsOf(r)?.current.visitors ?? null) ?? Promise.resolve(null));
    totalVisitors.catch(() => undefined);
    // Under "Goal is purchase" the goals panel's revenue column is the goal cards' revenue: the
    // cards ask it anyway, so the panel does not ask raw events a second time.
    const goal = singleGoal(this.state.filters);
    const goalsRevenue =
      goalRevenue && goal !== null
        ? goalRevenue.then((r) => r && { of: goalRevenueColumn(r, goal), currencies: revenueCurrencies(r, v.ctx.filters) })
        : undefined;
    for (const b of this.breakdowns) b.load({ client, ctx: v.ctx, signal: load.signal, totalVisitors, goalsRevenue });
    this.funnel.load({ client, ctx: v.ctx, signal: load.signal, comparedWith: v.comparedWith });
    this.startRealtime(client, v);
  }

  /** The traffic cards; their answer is returned for the goals panel (its visitors). */
  private loadTrafficCards(client: ApiClient, v: View, signal: AbortSignal): Promise<QueryResult> {
    // Shared by the cards and the goals panel (conversion rates), so it retries once for both.
    const totals = withRateLimitRetry(() => client.query(cardsQuery(v.ctx), signal), signal);
    delete this.els.cards.dataset.revenue;
    this.runCards(signal, () => totals, (r) => {
      this.showFreshness(r.completeThrough, v.timeZone);
      const t = totalsOf(r);
      if (!t) return false;
      this.showCards(t, false, v.comparedWith);
      return true;
    });
    return totals;
  }

  /**
   * The goal cards: the conversion counts and rate as soon as they are in (rollups), the revenue
   * cards once the goal's revenue (raw events) says it has any. A failed revenue query costs only
   * those cards. The revenue answer (null when it failed) is returned for the goals panel.
   *
   * The revenue is asked even for a goal the goals panel showed without any: the panel knows the
   * range only, and the revenue cards show when the goal earned in the compared span too.
   */
  private loadGoalCards(client: ApiClient, v: View, base: Promise<QueryResult>, signal: AbortSignal): Promise<QueryResult | null> {
    const counts = withRateLimitRetry(() => client.query(goalCardsQuery(v.ctx), signal), signal);
    const revenue = withRateLimitRetry(() => client.query(goalRevenueQuery(v.ctx), signal), signal).catch(() => null);
    this.els.cards.dataset.revenue = 'loading';
    this.runCards(signal, () => Promise.all([counts, base]), ([c, b]) => {
      this.showFreshness(c.completeThrough, v.timeZone);
      const t = goalTotalsOf(c, b, null);
      if (!t) return false;
      this.showCards(t, true, v.comparedWith);
      void revenue.then((r) => {
        if (signal.aborted) return;
        const withRevenue = r ? goalTotalsOf(c, b, r, v.ctx.filters) : null;
        this.els.cards.dataset.revenue = withRevenue?.cards.includes('revenue') ? 'yes' : 'no';
        if (withRevenue && withRevenue.cards.length > t.cards.length) {
          addCards(this.els.cards, this.cardsView(withRevenue, true, v.comparedWith));
        } else {
          // A link may name a revenue card this goal turned out not to have.
          this.fallBackToCard(t.cards);
        }
      });
      return true;
    });
    return revenue;
  }

  /** The cards panel: its queries were started (and retry once) for other panels too. */
  private runCards<T>(signal: AbortSignal, task: () => Promise<T>, render: (value: T) => boolean): void {
    void runPanel({
      body: this.els.cards,
      signal,
      emptyText: 'No data for this period.',
      onAuthError: (err) => this.authFailed(err),
      retry: () => this.refresh(),
      task,
      retryRateLimited: false,
      render,
    });
  }

  private cardsView(totals: Totals, goal: boolean, comparedWith: string | null): CardsView {
    return { totals, goal, selected: this.state.metric, onSelect: (m) => this.setMetric(m), comparedWith };
  }

  private showCards(t: Totals, goal: boolean, comparedWith: string | null): void {
    renderCards(this.els.cards, this.cardsView(t, goal, comparedWith));
  }

  /** Charts the first of `cards` when the charted metric is none of them. */
  private fallBackToCard(cards: readonly CardMetric[]): void {
    const next = withCardMetric(this.state, cards);
    if (next.metric !== this.state.metric) this.setMetric(next.metric, 'replace');
  }

  private loadChart(v: View, parent: AbortSignal): void {
    const client = this.client;
    const chart = this.chart;
    if (!client || !chart) return;
    this.chartLoad?.abort();
    const load = new AbortController();
    this.chartLoad = load;
    parent.addEventListener('abort', () => load.abort(), { once: true });
    const metric = this.state.metric;
    const goal = goalFilter(this.state.filters) !== null;
    const label = cardLabel(metric, goal);
    this.els.chartTitle.textContent = `${label} over time`;
    // The compared period's line: bucket by bucket against the chart's (compare-series.ts), from the
    // API's own per-bucket comparison when it holds every bucket drawn, else from the compared span
    // asked as a series of its own.
    const plan = comparePlan(v.buckets, v.chartCompare, v.granularity, v.timeZone);
    // The file holds what is drawn: this series and the compared span of the second line, if any.
    const csvCompare = plan && v.chartComparedLabel ? plan.range : null;
    this.chartCsvRequest = () => ({ client, body: chartCsvQuery(v.ctx, metric, goal, v.granularity, v.buckets.length, csvCompare) });
    this.chartCsv.clear();
    // refresh() keeps the metric among the mode's cards, so each branch gets its own kind.
    const series = (): { queries: QueryBody[]; build: (answers: readonly (readonly QueryRow[])[], buckets: readonly number[], now: number) => ChartSeries } => {
      if (goal && isGoalCard(metric)) {
        return {
          queries: goalSeriesQueries(v.ctx, metric, v.granularity, v.buckets.length),
          build: (answers, buckets, now) => goalSeries(metric, answers, buckets, v.granularity, v.timeZone, now),
        };
      }
      if (!isTrafficCard(metric)) throw new Error(`${metric} has no card without a goal filter`);
      return {
        queries: [seriesQuery(v.ctx, metric, v.granularity, v.buckets.length)],
        build: (answers, buckets, now) => chartSeries(answers[0] ?? [], metric, buckets, v.granularity, v.timeZone, now),
      };
    };
    type Drawn = { current: ChartSeries; compared: ComparedLine | null; comparedHasData: boolean; currencies: readonly string[] | null };
    const task = async (): Promise<Drawn> => {
      const { queries, build } = series();
      const asked = plan?.viaCompare ? queries.map((q) => withSeriesCompare(q, plan.range)) : queries;
      const extra = plan && !plan.viaCompare ? queries.map((q) => seriesOver(q, plan.range, plan.buckets.length)) : [];
      const results = await Promise.all([...asked, ...extra].map((q) => client.query(q, load.signal)));
      const answers = results.map((r) => r.rows);
      // Revenue reads as money when every answer drawn names one and the same currency.
      const currencies = isMoney(metric) ? unionCurrencies(results.map((r) => revenueCurrencies(r, v.ctx.filters))) : null;
      const main = answers.slice(0, queries.length);
      const now = Date.now();
      const current = build(main, v.buckets, now);
      if (!plan || !v.chartComparedLabel) return { current, compared: null, comparedHasData: false, currencies };
      const rows = plan.viaCompare ? main.map(comparedRows) : answers.slice(queries.length);
      // Buckets of the compared span that start after now are gaps too (a custom period ahead).
      const theirs = build(rows, plan.buckets, now);
      return {
        current,
        compared: {
          values: alignValues(theirs.values, plan.alignment),
          buckets: alignValues(plan.buckets, plan.alignment),
          periodLabel: v.periodLabel,
          comparedLabel: v.chartComparedLabel,
        },
        comparedHasData: theirs.hasData,
        currencies,
      };
    };
    void runPanel({
      body: this.els.chart,
      signal: load.signal,
      emptyText: goal && metric !== 'conversion_rate' ? 'No conversions in this period.' : 'No data for this period.',
      onAuthError: (err) => this.authFailed(err),
      retry: () => this.loadChart(v, parent),
      task,
      render: ({ current, compared, comparedHasData, currencies }) => {
        // A quiet period is still drawn against a compared one that had traffic: "0 against 120" is news.
        if (!current.hasData && !comparedHasData) return false;
        this.els.chart.append(chart.el);
        chart.show({ buckets: v.buckets, values: current.values, metric, label, granularity: v.granularity, timeZone: v.timeZone, compared, currencies });
        return true;
      },
    });
  }

  private startRealtime(client: ApiClient, v: View): void {
    const key = `${v.site.site_id}|${v.timeZone}`;
    if (this.realtime && this.realtimeSite === key) return;
    this.realtime?.stop();
    this.realtimeSite = key;
    this.realtime = new RealtimeView({
      client,
      siteId: v.site.site_id,
      timeZone: v.timeZone,
      onAuthError: (err) => this.authFailed(err),
      // Realtime answers carry complete_through too, so the freshness line keeps moving.
      onFreshness: (t) => this.showFreshness(t, v.timeZone),
    });
    replaceChildren(this.els.realtime, this.realtime.el);
  }

  private renderControls(v: View): void {
    const model: ControlsModel = {
      sites: this.sites,
      siteId: v.site.site_id,
      range: this.state.range,
      resolved: v.resolved,
      granularity: v.granularity,
      timeZone: v.timeZone,
      siteTimeZone: v.site.timezone,
      compare: this.state.compare,
      compareDates: this.state.compareDates,
      compared: v.ctx.compare,
      compareUnavailable: compareUnavailable(this.state.range),
    };
    const actions: ControlsActions = {
      setSite: (site) => this.update({ site, filters: [] }),
      setRange: (range) => this.update({ range }),
      setGranularity: (granularity) => this.setGranularity(granularity),
      setTimeZone: (timezone) => this.update({ timezone }),
      setCompare: (compare, dates) => this.setCompare(compare, dates),
    };
    // One site: the page's <h1> names it already.
    replaceChildren(this.els.site, this.sites.length > 1 ? siteSelect(model, actions) : null);
    replaceChildren(this.els.controls, rangePicker(model, actions), compareSelect(model, actions), timeZoneSelect(model, actions));
    replaceChildren(this.els.granularity, granularityPicker(model, actions));
  }

  private showFreshness(completeThrough: number | null, timeZone: string): void {
    const now = Date.now();
    if (completeThrough === null) {
      this.els.freshness.textContent = 'No events stored yet.';
      return;
    }
    this.els.freshness.replaceChildren(
      'Complete through ',
      h(
        'time',
        { datetime: new Date(completeThrough).toISOString(), 'data-testid': 'complete-through', title: new Date(completeThrough).toISOString() },
        formatInstant(completeThrough, timeZone, now),
      ),
      ` (${formatAgo(completeThrough, now)})`,
    );
  }

  private update(patch: Partial<DashboardState>): void {
    const siteChanged = patch.site !== undefined && patch.site !== this.state.site;
    this.state = { ...this.state, ...patch };
    this.writeUrl('push');
    keepFocus(() => {
      if (siteChanged) this.layout();
      this.refresh();
    });
  }

  /**
   * A breakdown row's `is` filter: it replaces an `is` on that dimension (`drillDown`). Focus goes to
   * the new chip: the clicked row is about to be re-rendered away.
   */
  private addFilter(f: Filter): void {
    this.update({ filters: drillDown(this.state.filters, f) });
    this.chip(f, '.chip-remove')?.focus();
  }

  /** The chip of a filter: by its index, since several chips may share a dimension. */
  private chip(f: Filter, button: '.chip-edit' | '.chip-remove'): HTMLElement | null {
    const index = this.state.filters.findIndex((g) => sameFilter(g, f));
    return index < 0 ? null : this.els.chips.querySelector<HTMLElement>(`[data-index="${index}"] ${button}`);
  }

  /**
   * Opens the filter editor on a chip's filter, or on a new one (`editing` null). Its suggestions
   * are the dimension's values in the period shown, under the other filters.
   */
  private editFilter(editing: number | null, opener: HTMLElement): void {
    const client = this.client;
    const v = this.view();
    if (!client || !v) return;
    this.filterEditor.open({
      filters: this.state.filters,
      editing,
      opener,
      suggest: async (dimension, typed, signal) => suggestionsOf(dimension, (await client.query(suggestionQuery(v.ctx, dimension, typed), signal)).rows),
      apply: (filters, f) => {
        this.update({ filters });
        // Focus goes to the chip the editor made, which can open it again.
        (this.chip(f, '.chip-edit') ?? document.getElementById('filter-add'))?.focus();
      },
      remove: (index) => this.dropFilter(index),
    });
  }

  /** Focus moves to the next chip, or to the period picker when none is left. */
  private dropFilter(index: number): void {
    this.update({ filters: removeFilterAt(this.state.filters, index) });
    const buttons = this.els.chips.querySelectorAll<HTMLElement>('.chip .chip-remove');
    (buttons[Math.min(index, buttons.length - 1)] ?? this.els.controls.querySelector<HTMLElement>('select'))?.focus();
  }

  /** A custom comparison keeps its days in the state (and the link); every other mode drops them. */
  private setCompare(compare: CompareMode, dates?: CompareDates): void {
    if (compare === 'custom' && !dates) return;
    this.update({ compare, compareDates: compare === 'custom' ? (dates ?? null) : null });
  }

  /** Only the chart depends on the granularity: the cards and panels keep their answers. */
  private setGranularity(granularity: Granularity): void {
    if (granularity === this.state.granularity) return;
    this.state = { ...this.state, granularity };
    this.writeUrl('push');
    const v = this.view();
    if (!v || !this.load) {
      keepFocus(() => this.refresh());
      return;
    }
    keepFocus(() => this.renderControls(v));
    this.loadChart(v, this.load.signal);
  }

  private setMetric(metric: CardMetric, history: 'push' | 'replace' = 'push'): void {
    if (metric === this.state.metric) return;
    this.state = { ...this.state, metric };
    this.writeUrl(history);
    for (const b of this.els.cards.querySelectorAll<HTMLElement>('[data-metric]')) {
      b.setAttribute('aria-pressed', b.dataset.metric === metric ? 'true' : 'false');
    }
    const v = this.view();
    if (v && this.load) this.loadChart(v, this.load.signal);
  }

  private writeUrl(mode: 'push' | 'replace'): void {
    const qs = withFunnel(encodeState(this.state), this.funnel.definition);
    const url = `${location.pathname}${qs ? `?${qs}` : ''}${location.hash}`;
    if (url === `${location.pathname}${location.search}${location.hash}`) return;
    if (mode === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  private authFailed(err: ApiError): void {
    this.opts.keys.clear();
    this.showSignIn(`${describeError(err)} Sign in again.`);
  }

  private signOut(): void {
    this.opts.keys.clear();
    this.showSignIn(null);
  }

  private teardown(): void {
    this.filterEditor.close();
    this.funnel.stop();
    this.load?.abort();
    this.realtime?.stop();
    this.realtime = null;
    this.realtimeSite = null;
    this.chart?.destroy();
    this.chart = null;
    this.chartCsvRequest = null;
    this.chartCsv.clear();
    this.client = null;
  }
}

