import { LOWER_IS_BETTER, type Measure } from './dimensions.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
// Rates are the API's two decimals (and the dashboard's own conversion rates are rounded as the
// API rounds them): shown as they are, since a second rounding would move them (54.55 → 54.6).
const rate = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Full count with separators: cards show exactly what the API answered. */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** Short form for chart axes and narrow table cells. */
export function formatCompact(n: number): string {
  return Math.abs(n) < 10_000 ? integer.format(n) : compact.format(n);
}

/** Seconds → "45s", "3m 05s", "1h 02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A percentage already in 0..100, with the API's two decimals at most. */
export function formatPercent(p: number): string {
  return `${rate.format(p)}%`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * An amount in one currency, as British English writes it: `€1,234.50`, `US$1,234.50` (the bare `$`
 * is several currencies), `£9.99`, `JP¥1,235` (yen have no decimals). A code Intl refuses (the
 * API passes on what the site sent) is written after the amount: `1,234.50 XB`.
 */
export function formatMoney(value: number, currency: string): string {
  let f = moneyFormats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    } catch {
      return `${twoDecimals.format(value)} ${currency}`;
    }
    moneyFormats.set(currency, f);
  }
  return f.format(value);
}

/** The one currency of an amount, or null when none is named or there are several (a sum of mixed currencies). */
export function singleCurrency(currencies: readonly string[] | null | undefined): string | null {
  return currencies && currencies.length === 1 ? (currencies[0] ?? null) : null;
}

/**
 * The note beside a revenue that adds up amounts of several currencies, which the API sums as sent,
 * without converting them: "mixed currencies: EUR, USD". Null for one currency or none named.
 */
export function mixedCurrenciesNote(currencies: readonly string[] | null | undefined): string | null {
  return currencies && currencies.length > 1 ? `mixed currencies: ${currencies.join(', ')}` : null;
}

/** Revenue and the average revenue are amounts of money; every other measure is not. */
export function isMoney(metric: Measure): boolean {
  return metric === 'revenue' || metric === 'average_revenue';
}

/**
 * A measure's value in its unit. `currencies`: the currencies a revenue adds up (the API's
 * `meta.revenue_currencies`): with exactly one, revenue reads as that money (`€71.70`); with several
 * or none named, as a plain number (`71.70`), which the caller marks with `mixedCurrenciesNote`.
 */
export function formatMetric(metric: Measure, value: number | null | undefined, currencies?: readonly string[] | null): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const currency = isMoney(metric) ? singleCurrency(currencies) : null;
  if (currency !== null) return formatMoney(value, currency);
  switch (metric) {
    case 'bounce_rate':
    case 'conversion_rate':
      return formatPercent(value);
    case 'visit_duration':
    case 'time_on_page':
      return formatDuration(value);
    case 'views_per_visit':
      return twoDecimals.format(value);
    case 'revenue':
    case 'average_revenue':
      return twoDecimals.format(value);
    default:
      return formatCount(value);
  }
}

export interface Change {
  /** e.g. "+12%", "−3.4 pp", "new", "0%". */
  text: string;
  direction: 'up' | 'down' | 'flat';
  /** Whether the change is good news for the merchant (bounce rate falling is). */
  good: boolean | null;
  /** Spoken form for screen readers. */
  label: string;
}

/**
 * Change against the previous period (`against` names it in the spoken label, e.g. "yesterday until
 * 09:00"). Rates compare in percentage points (a bounce rate going from 40% to 44% is +4 pp, not
 * +10%), to two decimals as the API's own `comparison.change` does: the difference of two values
 * with two decimals has two, so this rounds away float noise only. Everything else as a relative
 * change.
 */
export function formatChange(
  metric: Measure,
  current: number | null,
  previous: number | null,
  against = 'the previous period',
): Change | null {
  if (current === null || previous === null || !Number.isFinite(current) || !Number.isFinite(previous)) return null;
  const isRate = metric === 'bounce_rate' || metric === 'conversion_rate';
  let delta: number;
  let text: string;
  if (isRate) {
    delta = Math.round((current - previous) * 100) / 100;
    text = `${delta > 0 ? '+' : delta < 0 ? '−' : ''}${rate.format(Math.abs(delta))} pp`;
  } else if (previous === 0) {
    if (current === 0) {
      delta = 0;
      text = '0%';
    } else {
      return { text: 'new', direction: 'up', good: !LOWER_IS_BETTER.has(metric), label: `new: none in ${against}` };
    }
  } else {
    delta = Math.round(((current - previous) / previous) * 100);
    text = `${delta > 0 ? '+' : delta < 0 ? '−' : ''}${integer.format(Math.abs(delta))}%`;
  }
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  const good = direction === 'flat' ? null : (direction === 'up') !== LOWER_IS_BETTER.has(metric);
  const word = direction === 'up' ? 'up' : direction === 'down' ? 'down' : 'unchanged';
  const label = direction === 'flat' ? `unchanged from ${against}` : `${word} ${text.replace(/^[+−]/, '')} from ${against}`;
  return { text, direction, good, label };
}

/** "15:42:07" (today) or "25 Nov, 15:42" in the given zone. */
export function formatInstant(instant: number, timeZone: string, now: number): string {
  const sameDay =
    new Intl.DateTimeFormat('en-CA', { timeZone, dateStyle: 'short' }).format(instant) ===
    new Intl.DateTimeFormat('en-CA', { timeZone, dateStyle: 'short' }).format(now);
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
    : { timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  return new Intl.DateTimeFormat('en-GB', opts).format(instant);
}

/** "just now", "45 s ago", "3 min ago", "2 h ago", "4 days ago". */
export function formatAgo(instant: number, now: number): string {
  const s = Math.round((now - instant) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/**
 * Bucket label for the chart's tooltip and the accessible table. `withYear` adds the year to hours
 * and minutes too, for a compared bucket of another year ("26 Nov 2025, 09:00").
 */
export function formatBucket(instant: number, granularity: string, timeZone: string, withYear = false): string {
  const base: Intl.DateTimeFormatOptions = { timeZone };
  const opts: Intl.DateTimeFormatOptions =
    granularity === 'minute' || granularity === 'hour'
      ? { ...base, day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}), hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : granularity === 'month'
        ? { ...base, month: 'long', year: 'numeric' }
        : { ...base, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
  const label = new Intl.DateTimeFormat('en-GB', opts).format(instant);
  return granularity === 'week' ? `Week of ${label}` : label;
}
