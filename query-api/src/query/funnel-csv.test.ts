import { describe, expect, it } from 'vitest';
import { FUNNEL_CSV_TEXT, funnelCsv, type FunnelPayload } from './funnel-csv.js';
import type { FunnelPlan } from './funnel-plan.js';
import { testFunnelPlan } from './test-fixtures.js';
import { funnelSteps } from './funnel-run.js';

const plan = testFunnelPlan;

/** The JSON answer's payload as the route writes it. */
const payload = (p: FunnelPlan, counts: number[], compared?: number[]): FunnelPayload => ({
  steps: funnelSteps(p, counts, compared),
  meta: { scope: p.scope, ...(compared ? { compare_range: { from: '', to: '' } } : {}) },
});

describe('funnelCsv', () => {
  it('writes one record per step: number, label, count, rates and dropoff', () => {
    expect(funnelCsv(payload(plan('visit'), [8, 4, 3]))).toBe(
      'step,label,visits,conversion_rate,conversion_rate_step,dropoff\r\n' +
        '1,Visit /,8,100,100,0\r\n' +
        '2,Pricing,4,50,50,4\r\n' +
        '3,signup,3,37.5,75,1\r\n',
    );
  });

  it('names the count visitors in the visitor scope', () => {
    expect(funnelCsv(payload(plan('visitor'), [2, 1, 0])).split('\r\n')[0]).toBe('step,label,visitors,conversion_rate,conversion_rate_step,dropoff');
  });

  it('adds each figure compared and its change, a change from nothing empty', () => {
    expect(funnelCsv(payload(plan('visit'), [8, 4, 3], [2, 2, 1]))).toBe(
      'step,label,visits,conversion_rate,conversion_rate_step,dropoff,' +
        'visits_previous,conversion_rate_previous,conversion_rate_step_previous,dropoff_previous,' +
        'visits_change,conversion_rate_change,conversion_rate_step_change,dropoff_change\r\n' +
        '1,Visit /,8,100,100,0,2,100,100,0,300,0,0,0\r\n' +
        '2,Pricing,4,50,50,4,2,100,100,0,100,-50,-50,\r\n' +
        '3,signup,3,37.5,75,1,1,50,50,1,200,-12.5,25,0\r\n',
    );
  });

  it('guards labels a spreadsheet would run as formulas and quotes as RFC 4180 says, as report CSVs do', () => {
    const lines = funnelCsv(payload(plan('visit', ['=HYPERLINK("http://evil.example")', '-2+3', 'Pricing, "annual"']), [1, 1, 1])).split('\r\n');
    expect(lines.slice(1, 4)).toEqual([
      `1,"'=HYPERLINK(""http://evil.example"")",1,100,100,0`,
      "2,'-2+3,1,100,100,0",
      '3,"Pricing, ""annual""",1,100,100,0',
    ]);
  });

  it('is described with the shared encoding rules and the funnel\'s columns', () => {
    expect(FUNNEL_CSV_TEXT).toContain('RFC 4180');
    expect(FUNNEL_CSV_TEXT).toContain('leading `\'`');
    expect(FUNNEL_CSV_TEXT).toContain('`visits_previous`');
    expect(FUNNEL_CSV_TEXT).toContain('`X-Pulse-Complete-Through`');
  });
});
