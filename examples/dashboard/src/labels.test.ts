import { describe, expect, it } from 'vitest';
import { valueLabel } from './labels.js';

describe('value labels', () => {
  it('names empty values as the rows do', () => {
    expect(valueLabel('referrer', '')).toBe('Direct / None');
    expect(valueLabel('source', null)).toBe('Direct / None');
    expect(valueLabel('utm_campaign', '')).toBe('(none)');
  });

  it('spells out country codes and leaves other values alone', () => {
    expect(valueLabel('country', 'DE')).toBe('Germany');
    expect(valueLabel('page', '/pricing')).toBe('/pricing');
  });
});
