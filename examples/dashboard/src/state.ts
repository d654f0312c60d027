import {
  CARD_METRICS,
  GOAL_CARD_METRICS,
  isFilterDimension,
  isFilterOp,
  isGoalCard,
  isTrafficCard,
  type CardMetric,
  type Filter,
} from './dimensions.js';
import { DEFAULT_COMPARE, customCompareError, isCompareMode, type CompareDates, type CompareMode } from './compare-mode.js';
import { goalFilter } from './query.js';
import { customRangeError, isGranularity, isPreset, type Granularity, type RangeSpec } from './range.js';
import { isValidTimeZone } from './time.js';

/** Everything a shared dashboard link must reproduce. The read key is never part of it. */
export interface DashboardState {
  site: string | null;
  range: RangeSpec;
  /** null = the range's default granularity. */
  granularity: Granularity | null;
  filters: Filter[];
  /** The metric the chart plots. */
  metric: CardMetric;
  /** null = the site's own time zone. */
  timezone: string | null;
  /** What the cards (and the chart's second line) compare the period with. */
  compare: CompareMode;
  /** The days of a custom comparison (`compare` "custom"); null in every other mode. */
  compareDates: CompareDates | null;
}

export const DEFAULT_RANGE: RangeSpec = { kind: 'preset', preset: '7d' };
export const DEFAULT_METRIC: CardMetric = 'visitors';
export const MAX_FILTERS = 10;

export function defaultState(): DashboardState {
  return { site: null, range: DEFAULT_RANGE, granularity: null, filters: [], metric: DEFAULT_METRIC, timezone: null, compare: DEFAULT_COMPARE, compareDates: null };
}

export const SITE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A filter travels as `dimension|op|value|value…`; `|` and `\` inside a value are backslash-escaped
 * so any value (URLs, wildcards, commas) round-trips unchanged.
 */
export function encodeFilter([op, dimension, values]: Filter): string {
  return [dimension, op, ...values].map(escapeToken).join('|');
}

export function decodeFilter(s: string): Filter | null {
  const tokens = splitEscaped(s);
  if (!tokens || tokens.length < 3) return null;
  const [dimension, op, ...values] = tokens as [string, string, ...string[]];
  if (!isFilterDimension(dimension) || !isFilterOp(op)) return null;
  if (values.some((v) => v.length > 1024)) return null;
  return [op, dimension, values];
}

function escapeToken(s: string): string {
  return s.replace(/[\\|]/g, (c) => `\\${c}`);
}

function splitEscaped(s: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1];
      if (next !== '\\' && next !== '|') return null;
      cur += next;
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** Serialises state to a query string; defaults are left out so links stay short. */
export function encodeState(s: DashboardState): string {
  const p = new URLSearchParams();
  if (s.site) p.set('site', s.site);
  if (s.range.kind === 'preset') {
    if (s.range.preset !== (DEFAULT_RANGE as { preset: string }).preset) p.set('range', s.range.preset);
  } else {
    p.set('range', 'custom');
    p.set('from', s.range.from);
    p.set('to', s.range.to);
  }
  if (s.granularity) p.set('g', s.granularity);
  if (s.metric !== DEFAULT_METRIC) p.set('metric', s.metric);
  if (s.timezone) p.set('tz', s.timezone);
  if (s.compare === 'custom' && s.compareDates) {
    p.set('compare', 'custom');
    p.set('compare_from', s.compareDates.from);
    p.set('compare_to', s.compareDates.to);
  } else if (s.compare !== DEFAULT_COMPARE && s.compare !== 'custom') {
    p.set('compare', s.compare);
  }
  for (const f of s.filters) p.append('f', encodeFilter(f));
  return p.toString();
}

/** Parses a query string; anything invalid falls back to its default instead of failing the page. */
export function decodeState(search: string): DashboardState {
  const p = new URLSearchParams(search);
  const s = defaultState();
  const site = p.get('site');
  if (site && SITE_ID.test(site)) s.site = site;
  const range = p.get('range');
  if (range === 'custom') {
    const from = p.get('from') ?? '';
    const to = p.get('to') ?? '';
    if (!customRangeError(from, to)) s.range = { kind: 'custom', from, to };
  } else if (range && isPreset(range)) {
    s.range = { kind: 'preset', preset: range };
  }
  const g = p.get('g');
  if (g && isGranularity(g)) s.granularity = g;
  const metric = p.get('metric');
  if (metric && (isTrafficCard(metric) || isGoalCard(metric))) s.metric = metric;
  const tz = p.get('tz');
  if (tz && isValidTimeZone(tz)) s.timezone = tz;
  const compare = p.get('compare');
  if (compare === 'custom') {
    // Plausible's names: compare_from and compare_to, inclusive dates. Without valid ones there is
    // no custom period, and the link falls back to the default comparison.
    const from = p.get('compare_from') ?? '';
    const to = p.get('compare_to') ?? '';
    if (!customCompareError(from, to)) {
      s.compare = 'custom';
      s.compareDates = { from, to };
    }
  } else if (compare && isCompareMode(compare)) {
    s.compare = compare;
  }
  for (const raw of p.getAll('f')) {
    const f = decodeFilter(raw);
    if (f && s.filters.length < MAX_FILTERS) s.filters = addFilter(s.filters, f);
  }
  return withCardMetric(s);
}

/** The cards the filters call for: a goal's conversions under a goal filter, else traffic. */
export function cardsFor(filters: readonly Filter[]): readonly CardMetric[] {
  return goalFilter(filters) ? GOAL_CARD_METRICS : CARD_METRICS;
}

/**
 * The state with a chart metric among `cards` (by default its mode's): a metric that has no card
 * there (pageviews under a goal, conversion rate without one, revenue of a goal without any) is
 * the first card's.
 */
export function withCardMetric(s: DashboardState, cards: readonly CardMetric[] = cardsFor(s.filters)): DashboardState {
  const first = cards[0];
  return cards.includes(s.metric) || !first ? s : { ...s, metric: first };
}

/**
 * Whether two filters are the same: op, dimension and values (in any order; the API ORs them).
 * The modifiers are not part of a dashboard filter (`apiFilter` adds them by op).
 */
export function sameFilter([op, d, values]: Filter, [op2, d2, values2]: Filter): boolean {
  if (op !== op2 || d !== d2) return false;
  const set = new Set(values);
  const set2 = new Set(values2);
  return set.size === set2.size && [...set].every((v) => set2.has(v));
}

/**
 * Adds a filter at the end. The API ANDs any number of filters, several on one dimension too
 * ("Page contains /blog" and "Page is not /blog/draft"); one the same as a filter already there
 * is not added twice.
 */
export function addFilter(filters: readonly Filter[], f: Filter): Filter[] {
  return filters.some((g) => sameFilter(g, f)) ? [...filters] : [...filters, f];
}

/**
 * A breakdown row's `is <value>` (a drill-down): it replaces any `is` filter on its dimension, so
 * clicks do not pile up contradictory `is` filters ("Page is /a" and "Page is /b"); the other ops on
 * that dimension ("Page contains /blog") stay, and so does the goal filter of another dimension.
 */
export function drillDown(filters: readonly Filter[], f: Filter): Filter[] {
  return addFilter(
    filters.filter(([op, d]) => !(op === 'is' && d === f[1])),
    f,
  );
}

/**
 * Puts an edited filter at `index`, where its chip was (a chip keeps its place when edited); another
 * filter the same as the edited one gives way (no duplicates). With `index` out of range (the
 * filter is gone meanwhile) it is added at the end.
 */
export function replaceFilterAt(filters: readonly Filter[], index: number, f: Filter): Filter[] {
  if (!Number.isInteger(index) || index < 0 || index >= filters.length) return addFilter(filters, f);
  return filters.flatMap((g, i) => (i === index ? [f] : sameFilter(g, f) ? [] : [g]));
}

/** The filters without the one at `index` (a chip's ×). */
export function removeFilterAt(filters: readonly Filter[], index: number): Filter[] {
  return filters.filter((_, i) => i !== index);
}
