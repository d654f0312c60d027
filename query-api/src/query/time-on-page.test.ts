import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import type { Filter, QueryPlan } from './plan.js';
import { planQuery, validateQueryRequest } from './plan.js';
import { chooseRollup } from './rollups.js';
import { buildQuery, gapColumns } from './sql.js';
import { GAP, checkTimeOnPage, pageviewGaps, timeOnPageMean } from './time-on-page.js';
import { visitsAnswer } from './visits.js';
import { visitsJoinAnswer } from './visits-join.js';
import { ALL_TABLES, UTC_SITE, testPlan } from './test-fixtures.js';

const ALL = ALL_TABLES;
const base = testPlan({ metrics: ['time_on_page'] });

/** The statement's gap subquery: from its SELECT to its WINDOW clause, and the other events' SELECT after it. */
function gapsOf(sql: string): string {
  const m = /SELECT [^\n]* AS top_gap\n\s*FROM events\n\s*WHERE [^\n]*\n\s*WINDOW [^\n]*(\n\s*UNION ALL\n\s*SELECT [^\n]*)?/.exec(sql);
  if (!m) throw new Error(`no gap subquery in\n${sql}`);
  return m[0];
}

describe('pageviewGaps', () => {
  it('takes the next pageview in each visit (session and UTC day), ties by path then event id, over an explicit one-row frame', () => {
    const sql = pageviewGaps({ table: 'events', columns: ['session_id', 'ts', 'path'], where: ['site_id = {p0:String}'], pageviewsOnly: true });
    expect(sql).toBe(
      "SELECT session_id, ts, path, dateDiff('millisecond', ts, leadInFrame(toNullable(ts)) OVER visit) / 1000 AS top_gap\n" +
        '    FROM events\n' +
        "    WHERE site_id = {p0:String} AND name = 'pageview'\n" +
        '    WINDOW visit AS (PARTITION BY session_id, toDate(ts) ORDER BY ts, path, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)',
    );
  });

  it('with the other events along, sorts only the pageviews: the others follow with no gap', () => {
    const sql = pageviewGaps({ table: 'events', columns: ['session_id', 'ts', 'name'], where: ['w'], pageviewsOnly: false, measured: ['m'] });
    expect(sql).toBe(
      `SELECT session_id, ts, name, dateDiff('millisecond', ts, leadInFrame(toNullable(ts)) OVER visit) / 1000 AS ${GAP}\n` +
        '    FROM events\n' +
        "    WHERE w AND name = 'pageview' AND cityHash64(session_id, toDate(ts)) IN (SELECT cityHash64(session_id, toDate(ts)) FROM events WHERE w AND name = 'pageview' AND m)\n" +
        '    WINDOW visit AS (PARTITION BY session_id, toDate(ts) ORDER BY ts, path, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)\n' +
        '    UNION ALL\n' +
        "    SELECT session_id, ts, name, CAST(NULL, 'Nullable(Float64)') FROM events WHERE w AND name != 'pageview'",
    );
  });

  it('averages the gaps rounded to 2 decimals, 0 without any, a goal\'s rows only when there is one', () => {
    expect(timeOnPageMean('1')).toBe('if(count(top_gap) = 0, 0, round(avg(top_gap), 2))');
    expect(timeOnPageMean('(x)')).toBe('if(countIf(top_gap IS NOT NULL AND (x)) = 0, 0, round(avgIf(top_gap, (x)), 2))');
  });
});

describe('buildQuery with time_on_page', () => {
  it('applies the range and bot flag before the window and the filters after it, with values only as parameters', () => {
    const evil = "x' OR 1=1 --";
    const plan: QueryPlan = {
      ...base,
      dimensions: ['page', `prop:${evil}`],
      filters: [
        { op: 'is', dimension: 'page', values: [evil] },
        { op: 'contains', dimension: 'country', values: [evil], ignoreCase: true },
      ],
    };
    const q = buildQuery(plan, { schema: ALL, range: plan.range, page: { orderBy: [['time_on_page', 'desc']], limit: 11, offset: 0 } });
    const gaps = gapsOf(q.sql);
    const visit = "site_id = \\{p\\d+:String\\} AND ts >= \\{p\\d+:DateTime64\\(3, 'UTC'\\)\\} AND ts < \\{p\\d+:DateTime64\\(3, 'UTC'\\)\\} AND is_bot = 0 AND name = 'pageview'";
    // The window's rows are every pageview of the visits that have one the filters keep: the
    // filters never take a pageview out of a visit, so they never decide which one comes next.
    const filters = 'path IN \\{p\\d+:Array\\(String\\)\\} AND multiSearchAny\\(lowerUTF8\\(country\\), arrayMap\\(fv -> lowerUTF8\\(fv\\), \\{p\\d+:Array\\(String\\)\\}\\)\\)';
    expect(gaps).toMatch(new RegExp(`WHERE ${visit} AND cityHash64\\(session_id, toDate\\(ts\\)\\) IN \\(SELECT cityHash64\\(session_id, toDate\\(ts\\)\\) FROM events WHERE ${visit} AND ${filters}\\)\\n`));
    const outer = q.sql.slice(q.sql.indexOf(gaps) + gaps.length);
    expect(outer).toMatch(/WHERE path IN \{p\d+:Array\(String\)\}\n  AND multiSearchAny\(lowerUTF8\(country\), /);
    expect(outer).not.toContain('site_id');
    expect(q.sql).toContain('ORDER BY m_time_on_page DESC, d0 ASC, d1 ASC');
    expect(q.sql).not.toContain(evil);
    expect(q.sql).not.toContain(plan.siteId);
    expect(Object.values(q.params)).toEqual(expect.arrayContaining([evil, [evil], plan.siteId]));
  });

  it('reads only the columns the query names, besides the window\'s own', () => {
    const select = (plan: QueryPlan) => /^SELECT (.*?), dateDiff\(/.exec(gapsOf(buildQuery(plan, { schema: ALL, range: plan.range }).sql))?.[1];
    expect(select(base)).toBe('session_id, ts, name');
    expect(select({ ...base, dimensions: ['page', 'time:day'], filters: [{ op: 'is', dimension: 'country', values: ['DE'] }] })).toBe('session_id, ts, name, path, country');
    expect(select({ ...base, dimensions: ['prop:author'], metrics: ['time_on_page', 'pageviews'] })).toBe('session_id, ts, name, props');
    expect(select({ ...base, dimensions: ['browser'], metrics: ['visitors', 'revenue', 'time_on_page'] })).toBe('session_id, ts, name, browser, visitor_id, revenue_amount');
    // Joined to visits, each per-visit row counts the visitor and revenue too; the attributes come from the visits' side.
    expect(gapColumns({ ...base, dimensions: ['source'] }, true)).toEqual(['session_id', 'ts', 'name', 'visitor_id', 'revenue_amount']);
  });

  it('reads pageviews alone unless another metric needs every event', () => {
    expect(gapsOf(buildQuery(base, { schema: ALL, range: base.range }).sql)).toContain("AND name = 'pageview'\n");
    const mixed = gapsOf(buildQuery({ ...base, metrics: ['events', 'time_on_page'] }, { schema: ALL, range: base.range }).sql);
    expect(mixed).toContain("AND name = 'pageview'\n");
    expect(mixed).toContain("UNION ALL\n    SELECT session_id, ts, name, CAST(NULL, 'Nullable(Float64)') FROM events WHERE ");
  });

  it('sorts only the visits with a pageview the filters on events keep', () => {
    const page: Filter = { op: 'is', dimension: 'page', values: ['/pricing'] };
    const source: Filter = { op: 'is', dimension: 'source', values: ['Google'] };
    const semi = (plan: QueryPlan) => /IN \(SELECT cityHash64\(session_id, toDate\(ts\)\) FROM events WHERE (.*)\)\n/.exec(gapsOf(buildQuery(plan, { schema: ALL, range: plan.range }).sql))?.[1];
    expect(semi({ ...base, filters: [page] })).toMatch(/AND name = 'pageview' AND path IN \{p\d+:Array\(String\)\}$/);
    // A visit attribute is no condition on a pageview: the join to visits applies it.
    expect(semi({ ...base, filters: [page, source] })).toMatch(/AND name = 'pageview' AND path IN \{p\d+:Array\(String\)\}$/);
    expect(semi({ ...base, filters: [source] })).toBeUndefined();
    expect(semi(base)).toBeUndefined();
    // With other metrics too: a pageview of another visit fails the filters itself (other events are not sorted).
    expect(semi({ ...base, metrics: ['pageviews', 'visits', 'time_on_page'], filters: [page] })).toMatch(/AND name = 'pageview' AND path IN \{p\d+:Array\(String\)\}$/);
  });

  it('joins the gaps to whole visits for visit attributes and metrics, averaging every gap alike', () => {
    for (const plan of [
      { ...base, dimensions: ['source'] },
      { ...base, filters: [{ op: 'is', dimension: 'entry_page', values: ['/'] } as Filter] },
      { ...base, metrics: ['visit_duration', 'time_on_page'] },
    ] as QueryPlan[]) {
      const sql = buildQuery(plan, { schema: ALL, range: plan.range }).sql;
      expect(sql).toContain(') AS e\n  INNER JOIN (SELECT session_id, toDate(ts) AS s_day');
      expect(sql).toContain('sumIf(assumeNotNull(e.top_gap), e.top_gap IS NOT NULL AND 1) AS tsum, countIf(e.top_gap IS NOT NULL AND 1) AS tcnt');
      expect(sql).toContain('if(sum(tcnt) = 0, 0, round(sum(tsum) / sum(tcnt), 2)) AS m_time_on_page');
    }
  });
});

describe('routing', () => {
  it('never goes to a rollup or the table of visits, which keep no pageviews in order', () => {
    for (const plan of [
      base,
      { ...base, metrics: ['pageviews', 'time_on_page'], dimensions: ['time:day'] },
      { ...base, metrics: ['visitors', 'time_on_page'], dimensions: ['page'] },
      { ...base, metrics: ['visits', 'time_on_page'], dimensions: ['country'] },
    ] as QueryPlan[]) {
      expect(chooseRollup(plan, ALL), JSON.stringify(plan.metrics)).toBeUndefined();
      expect(chooseRollup({ ...plan, metrics: plan.metrics.filter((m) => m !== 'time_on_page') }, ALL)).toBeDefined();
    }
    for (const plan of [
      { ...base, metrics: ['visits', 'time_on_page'], dimensions: ['source'] },
      { ...base, metrics: ['bounce_rate', 'time_on_page'], filters: [{ op: 'is', dimension: 'entry_page', values: ['/'] }] },
    ] as QueryPlan[]) {
      expect(visitsAnswer(plan, ALL)).toBe(false);
      expect(visitsJoinAnswer(plan, ALL)).toBe(false);
      expect(visitsJoinAnswer({ ...plan, metrics: ['visits'] }, ALL)).toBe(true);
    }
  });
});

describe('checkTimeOnPage', () => {
  const problem = (dimensions: string[], filters: [string, string][]) => {
    try {
      checkTimeOnPage(
        ['visitors', 'time_on_page'],
        dimensions as QueryPlan['dimensions'],
        filters.map(([op, dimension]) => ({ op, dimension, values: ['x'] }) as Filter),
      );
    } catch (err) {
      if (err instanceof BadRequestError) return err.message;
      throw err;
    }
    return 'ok';
  };

  it('takes every dimension and filter that describes a pageview or its visit', () => {
    const fine = ['page', 'entry_page', 'exit_page', 'referrer', 'source', 'utm_source', 'utm_medium', 'utm_campaign', 'country', 'device', 'browser', 'os', 'prop:author'];
    expect(problem([...fine.slice(0, 3), 'time:hour'], fine.map((d) => ['is', d]))).toBe('ok');
  });

  it('refuses event_name and revenue_currency, naming the field', () => {
    expect(problem(['page', 'event_name'], [])).toMatch(/^dimensions\[1\]: time_on_page measures pageviews, so it cannot be broken down or filtered by event_name/);
    expect(problem([], [['is', 'page'], ['is_not', 'event_name']])).toMatch(/^filters\[1\]\[1\]: .* event_name/);
    expect(problem(['revenue_currency'], [])).toMatch(/^dimensions\[0\]: .*carry no revenue/);
    expect(problem([], [['is', 'revenue_currency']])).toMatch(/^filters\[0\]\[1\]: .*revenue_currency/);
    // Without time_on_page nothing changes.
    expect(() => checkTimeOnPage(['visitors'], ['event_name'], [])).not.toThrow();
  });

  it('runs when a request is planned, before the goal check of conversion_rate', () => {
    const req = { site_id: 's_AAAAAAAAAAAAAAAA', metrics: ['conversion_rate', 'time_on_page'], date_range: '7d', filters: [['is', 'event_name', ['signup']]] };
    expect(() => planQuery(validateQueryRequest(req), UTC_SITE, Date.parse('2026-01-06T12:00:00Z'))).toThrow(
      new BadRequestError('filters[0][1]', 'time_on_page measures pageviews, so it cannot be broken down or filtered by event_name (a goal)'),
    );
  });
});
