import { describe, expect, it } from 'vitest';
import { EMPTY_SCHEMA } from '../schema-probe.js';
import type { FunnelPlan } from './funnel-plan.js';
import { VISIT_WINDOW_MS, buildFunnelQuery, stepCondition } from './funnel-sql.js';
import { Params } from './sql.js';

const evil = "x' OR 1=1 --";
const plan = (extra: Partial<FunnelPlan> = {}): FunnelPlan => ({
  siteId: 's_AAAAAAAAAAAAAAAA',
  steps: [
    { kind: 'page', value: '/', label: 'Visit /' },
    { kind: 'page', value: '/blog/*', label: 'Blog' },
    { kind: 'event', value: evil, label: evil },
  ],
  filters: [],
  timezone: 'UTC',
  range: { fromMs: 0, toMs: 86_400_000 },
  includeBots: false,
  scope: 'visit',
  windowMs: null,
  ...extra,
});

describe('stepCondition', () => {
  const cond = (kind: 'page' | 'event', value: string) => {
    const p = new Params();
    return { sql: stepCondition({ kind, value, label: '' }, p), params: p.values };
  };

  it('matches a page exactly without a wildcard, by LIKE with one (the filters\' glob rule)', () => {
    expect(cond('page', '/pricing')).toEqual({ sql: "(name = 'pageview' AND path = {p0:String})", params: { p0: '/pricing' } });
    expect(cond('page', '/blog/*')).toEqual({ sql: "(name = 'pageview' AND path LIKE {p0:String})", params: { p0: '/blog/%' } });
    // LIKE's own metacharacters stand for themselves.
    expect(cond('page', '/100%_off/*')).toEqual({ sql: "(name = 'pageview' AND path LIKE {p0:String})", params: { p0: '/100\\%\\_off/%' } });
  });

  it('matches an event by name', () => {
    expect(cond('event', 'signup')).toEqual({ sql: 'name = {p0:String}', params: { p0: 'signup' } });
  });
});

describe('buildFunnelQuery', () => {
  it('keeps every request value out of the SQL text', () => {
    const q = buildFunnelQuery(
      plan({ filters: [{ op: 'is', dimension: `prop:${evil}`, values: [evil] }, { op: 'matches', dimension: 'source', values: [evil] }] }),
      EMPTY_SCHEMA,
    );
    expect(q.sql).not.toContain('OR 1=1');
    expect(q.sql).not.toContain('s_AAAAAAAAAAAAAAAA');
    expect(q.sql).not.toContain('/blog');
    expect(Object.values(q.params)).toContain(evil);
    expect(Object.values(q.params)).toContain('s_AAAAAAAAAAAAAAAA');
  });

  it('groups by visit with a day as window, counting each step or beyond', () => {
    const q = buildFunnelQuery(plan(), EMPTY_SCHEMA);
    expect(q.aliases).toEqual(['s1', 's2', 's3']);
    expect(q.sql).toMatch(/^SELECT countIf\(level >= 1\) AS s1, countIf\(level >= 2\) AS s2, countIf\(level >= 3\) AS s3\n/);
    expect(q.sql).toMatch(/windowFunnel\(\{p\d+:UInt64\}, 'strict_increase'\)\(toUInt64\(toUnixTimestamp64Milli\(ts\)\), \(name = 'pageview' AND path = \{p\d+:String\}\), /);
    expect(q.sql).toContain('GROUP BY session_id, toDate(ts)');
    expect(q.sql).toContain('is_bot = 0');
    expect(Object.values(q.params)).toContain(VISIT_WINDOW_MS);
    expect(q.sql).not.toContain(' IN (');
  });

  it('groups by visitor with the plan\'s window, and counts bots when asked', () => {
    const q = buildFunnelQuery(plan({ scope: 'visitor', windowMs: 600_000, includeBots: true }), EMPTY_SCHEMA);
    expect(q.sql).toMatch(/GROUP BY visitor_id$/m);
    expect(Object.values(q.params)).toContain(600_000);
    expect(q.sql).not.toContain('is_bot');
  });

  it('filters events in WHERE, and visits by their attributes through the visits that pass', () => {
    const q = buildFunnelQuery(
      plan({ filters: [{ op: 'is', dimension: 'country', values: ['DE'] }, { op: 'is', dimension: 'entry_page', values: ['/'] }] }),
      EMPTY_SCHEMA,
    );
    expect(q.sql).toMatch(/AND country IN \{p\d+:Array\(String\)\}/);
    expect(q.sql).toContain('AND (session_id, toDate(ts)) IN (\n      SELECT session_id, toDate(ts) FROM events\n');
    // The entry page: the path of the visit's first event, as /v1/query takes it.
    expect(q.sql).toMatch(/\n {6}GROUP BY session_id, toDate\(ts\)\n {6}HAVING substring\(min\(concat\(leftPad\(hex\(toUnixTimestamp64Milli\(ts\)\), 12, '0'\), path\)\), 13\) IN \{p\d+:Array\(String\)\}\n/);
  });

  it('counts the same funnel over another range (compare): only the range parameters differ', () => {
    const p = plan({ filters: [{ op: 'is', dimension: 'entry_page', values: ['/'] }] });
    const own = buildFunnelQuery(p, EMPTY_SCHEMA);
    const other = buildFunnelQuery(p, EMPTY_SCHEMA, { fromMs: 86_400_000, toMs: 2 * 86_400_000 });
    expect(other.sql).toBe(own.sql);
    const differ = Object.keys(own.params).filter((k) => own.params[k] !== other.params[k]);
    // The range's bounds, in the events' WHERE and in the visits' subquery.
    expect(differ.map((k) => [own.params[k], other.params[k]])).toEqual([
      ['1970-01-01 00:00:00.000', '1970-01-02 00:00:00.000'],
      ['1970-01-02 00:00:00.000', '1970-01-03 00:00:00.000'],
      ['1970-01-01 00:00:00.000', '1970-01-02 00:00:00.000'],
      ['1970-01-02 00:00:00.000', '1970-01-03 00:00:00.000'],
    ]);
  });
});
