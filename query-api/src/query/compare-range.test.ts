import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { planCompare } from './compare-range.js';

const NOW = Date.parse('2026-01-06T12:00:00Z');
const range = { fromMs: Date.parse('2026-01-05T00:00:00Z'), toMs: Date.parse('2026-01-07T00:00:00Z') };

describe('planCompare', () => {
  it('is nothing without compare', () => {
    expect(planCompare(undefined, range, 'UTC')).toBeUndefined();
  });

  it('takes the period before for previous_period, whole local days in the zone', () => {
    expect(planCompare('previous_period', range, 'UTC')).toEqual({ fromMs: Date.parse('2026-01-03T00:00:00Z'), toMs: range.fromMs });
    // Not whole days in Berlin: the same length just before.
    expect(planCompare('previous_period', range, 'Europe/Berlin')).toEqual({ fromMs: Date.parse('2026-01-03T00:00:00Z'), toMs: range.fromMs });
  });

  it('resolves an explicit range, refused as `compare…` when it is no range', () => {
    expect(planCompare({ from: '2025-12-01T00:00:00Z', to: '2025-12-02T00:00:00+01:00' }, range, 'UTC')).toEqual({
      fromMs: Date.parse('2025-12-01T00:00:00Z'),
      toMs: Date.parse('2025-12-01T23:00:00Z'),
    });
    const refused = () => planCompare({ from: '2025-12-02T00:00:00Z', to: '2025-12-01T00:00:00Z' }, range, 'UTC');
    expect(refused).toThrow(BadRequestError);
    expect(refused).toThrow('compare.to: must be later than from');
  });
});
