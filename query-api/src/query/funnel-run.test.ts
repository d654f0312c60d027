import { describe, expect, it } from 'vitest';
import type { FunnelPlan } from './funnel-plan.js';
import { testFunnelPlan } from './test-fixtures.js';
import { funnelSteps, percent } from './funnel-run.js';

const plan = testFunnelPlan;

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

describe('funnelSteps with compare', () => {
  it("carries each step's compared figures and their changes: counts and dropoff in percent, rates in points", () => {
    const steps = funnelSteps(plan('visit'), [8, 4, 3], [5, 3, 2]);
    expect(steps.map((s) => s.comparison)).toEqual([
      { visits: 5, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0, change: { visits: 60, conversion_rate: 0, conversion_rate_step: 0, dropoff: 0 } },
      { visits: 3, conversion_rate: 60, conversion_rate_step: 60, dropoff: 2, change: { visits: 33.3, conversion_rate: -10, conversion_rate_step: -10, dropoff: 100 } },
      { visits: 2, conversion_rate: 40, conversion_rate_step: 66.67, dropoff: 1, change: { visits: 50, conversion_rate: -2.5, conversion_rate_step: 8.33, dropoff: 0 } },
    ]);
    // The step's own figures are those without compare.
    expect(steps.map(({ comparison: _, ...s }) => s)).toEqual(funnelSteps(plan('visit'), [8, 4, 3]));
  });

  it('names the compared count by scope, and has no percentage from nothing', () => {
    const steps = funnelSteps(plan('visitor'), [4, 2, 0], [0, 0, 0]);
    expect(steps.map((s) => [s.comparison?.visitors, s.comparison?.visits, s.comparison?.change])).toEqual([
      [0, undefined, { visitors: null, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0 }],
      [0, undefined, { visitors: null, conversion_rate: 50, conversion_rate_step: 50, dropoff: null }],
      [0, undefined, { visitors: 0, conversion_rate: 0, conversion_rate_step: 0, dropoff: null }],
    ]);
  });

  it('has no comparison without compared counts', () => {
    expect(funnelSteps(plan('visit'), [1, 1, 1]).some((s) => 'comparison' in s)).toBe(false);
  });
});
