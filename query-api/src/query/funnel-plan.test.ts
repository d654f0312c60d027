import { UTC_SITE } from './test-fixtures.js';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { planFunnel, validateFunnelRequest } from './funnel-plan.js';

const NOW = Date.parse('2026-01-06T12:00:00Z');
const SITE = 's_AAAAAAAAAAAAAAAA';
const STEPS = [{ page: '/' }, { event: 'signup' }];
const body = (extra: Record<string, unknown> = {}) => ({ site_id: SITE, date_range: '7d', steps: STEPS, ...extra });

/** `field: message` of the 400 a body gets (validation and planning), or 'ok'. */
function problem(b: unknown): string {
  try {
    planFunnel(validateFunnelRequest(b), UTC_SITE, NOW);
  } catch (err) {
    if (err instanceof BadRequestError) return err.message;
    throw err;
  }
  return 'ok';
}

describe('validateFunnelRequest', () => {
  it('accepts page, wildcard page and event steps with optional labels', () => {
    expect(problem(body({ steps: [{ page: '/' }, { page: '/blog/*', label: 'Blog' }, { event: 'signup', label: 'Signed up' }] }))).toBe('ok');
  });

  it('names the field of a bad step', () => {
    expect(problem(body({ steps: [{ page: '/' }, { page: '/a' }, { page: 'pricing' }] }))).toBe('steps[2].page: must start with /');
    expect(problem(body({ steps: [{ page: '/' }, { page: '' }] }))).toBe('steps[1].page: must start with /');
    expect(problem(body({ steps: [{ page: '/' }, { page: 7 }] }))).toBe('steps[1].page: must be a string');
    expect(problem(body({ steps: [{ page: '/' }, { event: '' }] }))).toBe('steps[1].event: must not be empty');
    expect(problem(body({ steps: [{ page: '/' }, { event: 'x'.repeat(1025) }] }))).toBe('steps[1].event: must be at most 1024 characters');
    expect(problem(body({ steps: [{ page: '/', event: 'signup' }, { page: '/a' }] }))).toBe('steps[0]: has both "page" and "event"; a step is one of them');
    expect(problem(body({ steps: [{ page: '/' }, { label: 'x' }] }))).toBe('steps[1]: needs "page" (a path) or "event" (an event name)');
    expect(problem(body({ steps: [{ page: '/' }, { page: '/a', goal: 1 }] }))).toBe('steps[1].goal: is not a known field');
    expect(problem(body({ steps: [{ page: '/' }, { event: 'x', label: '' }] }))).toBe('steps[1].label: must not be empty');
    expect(problem(body({ steps: [{ page: '/' }, '/pricing'] }))).toMatch(/^steps\[1\]: "\/pricing" is not allowed/);
  });

  it('takes 2 to 8 steps', () => {
    expect(problem(body({ steps: [{ page: '/' }] }))).toBe('steps: must have at least 2 items');
    expect(problem(body({ steps: Array.from({ length: 9 }, (_, i) => ({ page: `/${i}` })) }))).toBe('steps: must have at most 8 items');
    expect(problem(body({ steps: Array.from({ length: 8 }, (_, i) => ({ page: `/${i}` })) }))).toBe('ok');
    expect(problem({ site_id: SITE, date_range: '7d' })).toBe('steps: is required');
  });

  it('validates date ranges, filters, scope and window as /v1/query does', () => {
    expect(problem(body({ date_range: '7x' }))).toMatch(/^date_range: /);
    expect(problem(body({ date_range: { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' } }))).toBe('date_range.to: must be later than from');
    expect(problem(body({ filters: [['is', 'nope', ['x']]] }))).toMatch(/^filters\[0\]\[1\]: /);
    expect(problem(body({ filters: [['contains', 'page', ['blog'], { case_sensitive: 'no' }]] }))).toBe('filters[0][3].case_sensitive: must be a boolean');
    expect(problem(body({ filters: [['is', 'time:day', ['x']]] }))).toMatch(/^filters\[0\]\[1\]: /);
    expect(problem(body({ scope: 'session' }))).toMatch(/^scope: "session" is not one of "visit", "visitor"/);
    expect(problem(body({ scope: 'visitor', window_seconds: 0 }))).toBe('window_seconds: must be >= 1');
    expect(problem(body({ scope: 'visitor', window_seconds: 30 * 86_400 + 1 }))).toBe('window_seconds: must be <= 2592000');
    expect(problem(body({ scope: 'visitor', window_seconds: 1.5 }))).toBe('window_seconds: must be an integer');
    expect(problem(body({ window_seconds: 60 }))).toBe('window_seconds: applies only with scope "visitor" (a visit is its own window)');
    expect(problem(body({ timezone: 'Mars/Olympus' }))).toBe('timezone: "Mars/Olympus" is not an IANA time zone');
    expect(problem(body({ metrics: ['visitors'] }))).toBe('metrics: is not a known field');
  });

  it('validates compare as /v1/query does', () => {
    expect(problem(body({ compare: 'previous_period' }))).toBe('ok');
    expect(problem(body({ compare: { from: '2025-12-01T00:00:00Z', to: '2025-12-08T00:00:00Z' } }))).toBe('ok');
    expect(problem(body({ compare: 'last_year' }))).toMatch(/^compare: /);
    expect(problem(body({ compare: { from: '2025-12-01T00:00:00Z' } }))).toBe('compare.to: is required');
    expect(problem(body({ compare: { from: '2025-12-08T00:00:00Z', to: '2025-12-01T00:00:00Z' } }))).toBe('compare.to: must be later than from');
    expect(problem(body({ compare: { from: '2020-01-01T00:00:00Z', to: '2025-12-01T00:00:00Z' } }))).toBe('compare: may span at most 1098 days');
  });
});

describe('planFunnel', () => {
  it('defaults to visits, labels steps like Plausible and resolves the range in the site zone', () => {
    const plan = planFunnel(validateFunnelRequest(body({ date_range: 'today' })), { timezone: 'Europe/Berlin', created_at: 0 }, NOW);
    expect(plan).toEqual({
      siteId: SITE,
      steps: [
        { kind: 'page', value: '/', label: 'Visit /' },
        { kind: 'event', value: 'signup', label: 'signup' },
      ],
      filters: [],
      timezone: 'Europe/Berlin',
      range: { fromMs: Date.parse('2026-01-05T23:00:00Z'), toMs: Date.parse('2026-01-06T23:00:00Z') },
      includeBots: false,
      scope: 'visit',
      windowMs: null,
    });
  });

  it('resolves compare: the period before, or the range given; none without it', () => {
    const previous = planFunnel(validateFunnelRequest(body({ date_range: 'today', compare: 'previous_period' })), { timezone: 'Europe/Berlin', created_at: 0 }, NOW);
    expect(previous.compare).toEqual({ fromMs: Date.parse('2026-01-04T23:00:00Z'), toMs: Date.parse('2026-01-05T23:00:00Z') });
    const custom = planFunnel(validateFunnelRequest(body({ compare: { from: '2025-12-01T00:00:00Z', to: '2025-12-08T00:00:00Z' } })), UTC_SITE, NOW);
    expect(custom.compare).toEqual({ fromMs: Date.parse('2025-12-01T00:00:00Z'), toMs: Date.parse('2025-12-08T00:00:00Z') });
    expect('compare' in planFunnel(validateFunnelRequest(body()), UTC_SITE, NOW)).toBe(false);
  });

  it('gives the visitor scope a window, a day by default', () => {
    expect(planFunnel(validateFunnelRequest(body({ scope: 'visitor' })), UTC_SITE, NOW).windowMs).toBe(86_400_000);
    expect(planFunnel(validateFunnelRequest(body({ scope: 'visitor', window_seconds: 600 })), UTC_SITE, NOW).windowMs).toBe(600_000);
  });

  it('keeps labels asked for and folds case modifiers as /v1/query does', () => {
    const plan = planFunnel(
      validateFunnelRequest(
        body({
          steps: [{ page: '/blog/*', label: 'Blog' }, { event: 'signup' }],
          filters: [['contains', 'page', ['blog'], { case_sensitive: false }], ['is', 'country', ['DE'], { case_sensitive: true }]],
          include_bots: true,
        }),
      ),
      UTC_SITE,
      NOW,
    );
    expect(plan.steps[0]).toEqual({ kind: 'page', value: '/blog/*', label: 'Blog' });
    expect(plan.filters).toEqual([
      { op: 'contains', dimension: 'page', values: ['blog'], ignoreCase: true },
      { op: 'is', dimension: 'country', values: ['DE'] },
    ]);
    expect(plan.includeBots).toBe(true);
  });
});
