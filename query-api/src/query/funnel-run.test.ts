import { describe, expect, it } from 'vitest';
import type { FunnelPlan } from './funnel-plan.js';
import { funnelSteps, percent } from './funnel-run.js';

const plan = (scope: 'visit' | 'visitor'): FunnelPlan => ({
  siteId: 's_AAAAAAAAAAAAAAAA',
  steps: [
    { kind: 'page', value: '/', label: 'Visit /' },
    { kind: 'page', value: '/pricing', label: 'Pricing' },
    { kind: 'event', value: 'signup', label: 'signup' },
  ],
  filters: [],
  timezone: 'UTC',
  range: { fromMs: 0, toMs: 1 },
  includeBots: false,
  scope,
  windowMs: scope === 'visit' ? null : 86_400_000,
});

describe('percent', () => {
  it('rounds to 2 decimals and makes 0 of nothing', () => {
    expect(percent(1, 3)).toBe(33.33);
    expect(percent(2, 3)).toBe(66.67);
    expect(percent(3, 3)).toBe(100);
    expect(percent(0, 0)).toBe(0);
    expect(percent(1, 8)).toBe(12.5);
  });
});

describe('funnelSteps', () => {
  it('counts visits, rates from step 1 and from the step before, and dropoffs', () => {
    expect(funnelSteps(plan('visit'), [6, 3, 1])).toEqual([
      { label: 'Visit /', step: { page: '/' }, visits: 6, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0 },
      { label: 'Pricing', step: { page: '/pricing' }, visits: 3, conversion_rate: 50, conversion_rate_step: 50, dropoff: 3 },
      { label: 'signup', step: { event: 'signup' }, visits: 1, conversion_rate: 16.67, conversion_rate_step: 33.33, dropoff: 2 },
    ]);
  });

  it('names the count visitors in the visitor scope', () => {
    expect(funnelSteps(plan('visitor'), [2, 2, 0]).map((s) => [s.visitors, s.visits, s.conversion_rate_step, s.dropoff])).toEqual([
      [2, undefined, 100, 0],
      [2, undefined, 100, 0],
      [0, undefined, 0, 2],
    ]);
  });

  it('answers zeros when nobody entered', () => {
    expect(funnelSteps(plan('visit'), [0, 0, 0]).map((s) => [s.visits, s.conversion_rate, s.conversion_rate_step, s.dropoff])).toEqual([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });
});
