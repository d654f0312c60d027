import { describe, expect, it } from 'vitest';
import { formatAgo, formatBucket, formatChange, formatCompact, formatDuration, formatInstant, formatMetric } from './format.js';

describe('formatting', () => {
  it('formats each metric in its unit', () => {
    expect(formatMetric('visitors', 1234567)).toBe('1,234,567');
    // The API's two decimals as they are: 6 bounces in 11 visits is 54.55, not 54.6.
    expect(formatMetric('bounce_rate', 54.55)).toBe('54.55%');
    expect(formatMetric('bounce_rate', 54.5)).toBe('54.5%');
    expect(formatMetric('bounce_rate', 0)).toBe('0%');
    expect(formatMetric('visit_duration', 65)).toBe('1m 05s');
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
