import { describe, expect, it } from 'vitest';
import { METRIC_LABELS, PER_VISIT_METRICS, isMetric } from './dimensions.js';

describe('metric names and labels', () => {
  it('knows the API\'s time_on_page and names it as the Top pages column does', () => {
    expect(isMetric('time_on_page')).toBe(true);
    expect(METRIC_LABELS.time_on_page).toBe('Time on page');
    // An average over pageviews with a next one, not over visits: not a card, not blanked without visits.
    expect(PER_VISIT_METRICS as readonly string[]).not.toContain('time_on_page');
  });
});
