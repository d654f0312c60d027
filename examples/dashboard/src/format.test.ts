import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBucket,
  formatChange,
  formatCompact,
  formatDuration,
  formatInstant,
  formatMetric,
  formatMoney,
  isMoney,
  mixedCurrenciesNote,
  singleCurrency,
} from './format.js';

describe('formatting', () => {
  it('formats each metric in its unit', () => {
    expect(formatMetric('visitors', 1234567)).toBe('1,234,567');
    // The API's two decimals as they are: 6 bounces in 11 visits is 54.55, not 54.6.
    expect(formatMetric('bounce_rate', 54.55)).toBe('54.55%');
    expect(formatMetric('bounce_rate', 54.5)).toBe('54.5%');
    expect(formatMetric('bounce_rate', 0)).toBe('0%');
    expect(formatMetric('visit_duration', 65)).toBe('1m 05s');
    // Time on page reads as visit duration does; the API's 2 decimals round to whole seconds.
    expect(formatMetric('time_on_page', 65)).toBe('1m 05s');
    expect(formatMetric('time_on_page', 42.86)).toBe('43s');
    expect(formatMetric('time_on_page', 0)).toBe('0s');
    expect(formatMetric('time_on_page', 3725.5)).toBe('1h 02m');
    expect(formatMetric('time_on_page', null)).toBe('—');
    expect(formatMetric('views_per_visit', 2)).toBe('2.00');
    expect(formatMetric('average_revenue', 23.9)).toBe('23.90');
    expect(formatMetric('conversion_rate', 33.3)).toBe('33.3%');
    expect(formatMetric('pageviews', null)).toBe('—');
    expect(formatDuration(3725)).toBe('1h 02m');
    expect(formatDuration(7.4)).toBe('7s');
    expect(formatCompact(999)).toBe('999');
    expect(formatCompact(125_000)).toBe('125K');
  });

  it('computes the change against the previous period', () => {
    expect(formatChange('visitors', 150, 100)).toMatchObject({ text: '+50%', direction: 'up', good: true });
    expect(formatChange('visitors', 50, 100)).toMatchObject({ text: '−50%', direction: 'down', good: false });
    expect(formatChange('visitors', 5, 0)).toMatchObject({ text: 'new', direction: 'up' });
    expect(formatChange('visitors', 0, 0)).toMatchObject({ text: '0%', direction: 'flat', good: null });
    // Rates change in points, and a falling bounce rate is good news.
    expect(formatChange('bounce_rate', 40, 44.5)).toMatchObject({ text: '−4.5 pp', direction: 'down', good: true });
    expect(formatChange('conversion_rate', 25, 50)).toMatchObject({ text: '−25 pp', direction: 'down', good: false });
    // Points to the API's two decimals, not rounded again; float noise (54.55 − 100) is not shown.
    expect(formatChange('bounce_rate', 54.55, 100)).toMatchObject({ text: '−45.45 pp', direction: 'down', good: true });
    expect(formatChange('conversion_rate', 33.34, 33.33)).toMatchObject({ text: '+0.01 pp', direction: 'up' });
    expect(formatChange('bounce_rate', 0.3, 0.1)?.text).toBe('+0.2 pp');
    expect(formatChange('average_revenue', 24, 20)).toMatchObject({ text: '+20%', direction: 'up', good: true });
    expect(formatChange('visitors', 10, null)).toBeNull();
    expect(formatChange('visitors', 150, 100)?.label).toBe('up 50% from the previous period');
    // A period in progress says which part of the one before it is compared with.
    expect(formatChange('visitors', 150, 100, 'yesterday until 09:00')?.label).toBe('up 50% from yesterday until 09:00');
    expect(formatChange('visitors', 5, 0, 'yesterday until 09:00')?.label).toBe('new: none in yesterday until 09:00');
    expect(formatChange('bounce_rate', 40, 40, 'yesterday until 09:00')?.label).toBe('unchanged from yesterday until 09:00');
  });

  it('writes revenue in its one currency, and a sum of several as a plain number with a note', () => {
    expect(formatMoney(1234.5, 'EUR')).toBe('€1,234.50');
    // The bare $ is several currencies: British English names the dollar's country.
    expect(formatMoney(1234.5, 'USD')).toBe('US$1,234.50');
    expect(formatMoney(9.99, 'GBP')).toBe('£9.99');
    expect(formatMoney(-15, 'EUR')).toBe('-€15.00');
    // Yen have no minor unit.
    expect(formatMoney(1234.56, 'JPY')).toBe('JP¥1,235');
    // A code without a symbol of its own, then a no-break space.
    expect(formatMoney(12, 'CHF')).toBe('CHF\u00a012.00');
    // A code Intl refuses is written after the amount rather than failing the card.
    expect(formatMoney(12, 'X1')).toBe('12.00 X1');

    // Exactly one currency named: money.
    expect(formatMetric('revenue', 71.7, ['EUR'])).toBe('€71.70');
    expect(formatMetric('average_revenue', 23.9, ['USD'])).toBe('US$23.90');
    expect(formatMetric('revenue', 0, ['EUR'])).toBe('€0.00');
    // Several, none named (an API that does not say), or unknown: the plain number.
    expect(formatMetric('revenue', 1234.5, ['EUR', 'USD'])).toBe('1,234.50');
    expect(formatMetric('revenue', 1234.5, [])).toBe('1,234.50');
    expect(formatMetric('revenue', 1234.5, null)).toBe('1,234.50');
    expect(formatMetric('revenue', 1234.5)).toBe('1,234.50');
    expect(formatMetric('revenue', null, ['EUR'])).toBe('—');
    // Currencies say nothing about other measures.
    expect(formatMetric('visitors', 1234, ['EUR'])).toBe('1,234');
    expect(formatMetric('conversion_rate', 12.5, ['EUR'])).toBe('12.5%');
    expect([isMoney('revenue'), isMoney('average_revenue'), isMoney('events')]).toEqual([true, true, false]);

    expect(singleCurrency(['EUR'])).toBe('EUR');
    expect(singleCurrency(['EUR', 'USD'])).toBeNull();
    expect(singleCurrency(undefined)).toBeNull();
    expect(mixedCurrenciesNote(['EUR', 'USD'])).toBe('mixed currencies: EUR, USD');
    expect(mixedCurrenciesNote(['EUR', 'GBP', 'USD'])).toBe('mixed currencies: EUR, GBP, USD');
    expect(mixedCurrenciesNote(['EUR'])).toBeNull();
    expect(mixedCurrenciesNote([])).toBeNull();
    expect(mixedCurrenciesNote(null)).toBeNull();
  });

  it('formats instants and buckets in the given zone', () => {
    const now = Date.parse('2026-11-26T15:20:00Z');
    expect(formatInstant(Date.parse('2026-11-26T15:19:30Z'), 'Europe/Berlin', now)).toBe('16:19:30');
    expect(formatInstant(Date.parse('2026-11-25T10:00:00Z'), 'UTC', now)).toBe('25 Nov, 10:00');
    expect(formatAgo(now - 30_000, now)).toBe('30 s ago');
    expect(formatAgo(now - 2_000, now)).toBe('just now');
    expect(formatAgo(now - 3 * 3600_000, now)).toBe('3 h ago');
    expect(formatBucket(Date.parse('2026-11-01T00:00:00Z'), 'month', 'UTC')).toBe('November 2026');
    expect(formatBucket(Date.parse('2026-11-23T00:00:00Z'), 'week', 'UTC')).toMatch(/^Week of Mon,? 23 Nov 2026$/);
  });
});
