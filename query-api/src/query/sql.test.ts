import { describe, expect, it } from 'vitest';
import { Params, buildQuery, filterOn, globToLike } from './sql.js';
import type { Filter, QueryPlan } from './plan.js';
import { EMPTY_SCHEMA } from '../schema-probe.js';
import { buildRollupQuery, chooseRollup } from './rollups.js';
import { buildVisitsQuery, visitsAnswer } from './visits.js';
import { buildVisitsJoinQuery, visitsJoinAnswer } from './visits-join.js';
import { ALL_TABLES, testPlan } from './test-fixtures.js';

describe('globToLike', () => {
  it('turns * into % and escapes LIKE metacharacters', () => {
    expect(globToLike('/blog/*')).toBe('/blog/%');
    expect(globToLike('100%_off\\')).toBe('100\\%\\_off\\\\');
  });
});

describe('buildQuery', () => {
  const evil = "x' OR 1=1 --";
  const plan: QueryPlan = {
    siteId: 's_AAAAAAAAAAAAAAAA',
    metrics: ['visitors', 'bounce_rate'],
    dimensions: ['page', `prop:${evil}`, 'source'],
    filters: [
      { op: 'is', dimension: 'page', values: [evil] },
      { op: 'matches', dimension: 'source', values: [evil, '*'] },
      { op: 'contains', dimension: `prop:${evil}`, values: [evil] },
    ],
    orderBy: [],
    limit: 10,
    offset: 0,
    timezone: 'Europe/Berlin',
    range: { fromMs: 0, toMs: 86_400_000 },
    includeBots: false,
  };

  it('keeps every request value out of the SQL text', () => {
    const q = buildQuery(plan, { schema: EMPTY_SCHEMA, range: plan.range, page: { orderBy: [['visitors', 'desc']], limit: 11, offset: 0 } });
    expect(q.sql).not.toContain(evil);
    expect(q.sql).not.toContain('OR 1=1');
    expect(q.sql).not.toContain('Europe/Berlin');
    expect(q.sql).not.toContain(plan.siteId);
    expect(Object.values(q.params)).toContain(evil);
    expect(Object.values(q.params)).toContain(plan.siteId);
  });
});

describe('filterOn', () => {
  const sql = (f: Filter) => {
    const p = new Params();
    return { sql: filterOn('path', f, p), params: p.values };
  };

  it('compares exactly by default, as before modifiers existed', () => {
    expect(sql({ op: 'is', dimension: 'page', values: ['/a', '/B'] })).toEqual({ sql: 'path IN {p0:Array(String)}', params: { p0: ['/a', '/B'] } });
    expect(sql({ op: 'is_not', dimension: 'page', values: ['/a'] }).sql).toBe('path NOT IN {p0:Array(String)}');
    expect(sql({ op: 'contains', dimension: 'page', values: ['Blog'] }).sql).toBe('multiSearchAny(path, {p0:Array(String)})');
    expect(sql({ op: 'matches', dimension: 'page', values: ['/Blog/*', '/x_y'] })).toEqual({
      sql: '(path LIKE {p0:String} OR path LIKE {p1:String})',
      params: { p0: '/Blog/%', p1: '/x\\_y' },
    });
  });

  it('ignoring case, lowers both sides in SQL and keeps the values as given, in parameters', () => {
    const ci = (op: Filter['op'], values: string[]) => sql({ op, dimension: 'page', values, ignoreCase: true });
    expect(ci('is', ['/Blog/Post'])).toEqual({
      sql: 'lowerUTF8(path) IN arrayMap(fv -> lowerUTF8(fv), {p0:Array(String)})',
      params: { p0: ['/Blog/Post'] },
    });
    expect(ci('is_not', ['/A']).sql).toBe('lowerUTF8(path) NOT IN arrayMap(fv -> lowerUTF8(fv), {p0:Array(String)})');
    expect(ci('contains', ['BLOG', 'Ünï']).sql).toBe('multiSearchAny(lowerUTF8(path), arrayMap(fv -> lowerUTF8(fv), {p0:Array(String)}))');
    expect(ci('matches', ['/BLOG/*', '100%'])).toEqual({
      sql: '(lowerUTF8(path) LIKE lowerUTF8({p0:String}) OR lowerUTF8(path) LIKE lowerUTF8({p1:String}))',
      params: { p0: '/BLOG/%', p1: '100\\%' },
    });
  });

  it('never puts a value into the SQL text, whatever it holds', () => {
    const evil = ["x') OR 1=1 --", '{site:String}', "%' OR '1'='1", '\\', '\u0000'];
    for (const op of ['is', 'is_not', 'contains', 'matches'] as const) {
      const q = sql({ op, dimension: 'page', values: evil, ignoreCase: true });
      for (const v of evil) expect(q.sql).not.toContain(v);
      expect(q.sql).not.toContain('OR 1=1');
      expect(q.sql).not.toContain("'");
      expect(JSON.stringify(q.params)).toContain('OR 1=1');
    }
  });
});

describe('case-insensitive filters on every route', () => {
  const ALL = ALL_TABLES;
  const base = testPlan();
  const lowered = /lowerUTF8\((s\.)?s?_?\w+\) (NOT )?IN arrayMap\(fv -> lowerUTF8\(fv\), \{p\d+:Array\(String\)\}\)|multiSearchAny\(lowerUTF8\(|LIKE lowerUTF8\(\{p\d+:String\}\)/;

  it('reach the rollups with their dimension columns, raw edges included', () => {
    const plan: QueryPlan = { ...base, metrics: ['pageviews'], filters: [{ op: 'contains', dimension: 'page', values: ['BLOG'], ignoreCase: true }], range: { fromMs: 3_600_000, toMs: 2 * 86_400_000 } };
    const rollup = chooseRollup(plan, ALL);
    expect(rollup?.table).toBe('rollup_pages_hour');
    const q = buildRollupQuery(plan, { range: plan.range, schema: ALL, rollup: rollup! });
    expect(q.sql.match(/multiSearchAny\(lowerUTF8\(path\), arrayMap\(fv -> lowerUTF8\(fv\), \{p\d+:Array\(String\)\}\)\)/g)).toHaveLength(1);
    const tech: QueryPlan = { ...base, metrics: ['visitors'], dimensions: ['browser'], filters: [{ op: 'is', dimension: 'os', values: ['ios'], ignoreCase: true }] };
    const r = chooseRollup(tech, ALL);
    expect(r?.table).toBe('rollup_tech_geo_day');
    expect(buildRollupQuery(tech, { range: tech.range, schema: ALL, rollup: r! }).sql).toContain('lowerUTF8(os) IN arrayMap(fv -> lowerUTF8(fv), ');
    // Top-candidates reads the same rollup with the same filters, plus the candidates.
    const top: QueryPlan = { ...base, metrics: ['visitors'], dimensions: ['page'], filters: [{ op: 'matches', dimension: 'page', values: ['/BLOG/*'], ignoreCase: true }] };
    const paths = chooseRollup(top, ALL)!;
    expect(paths.byGroup).toBe('rollup_paths_by_path_day');
    const byGroup = buildRollupQuery(top, { range: top.range, schema: ALL, rollup: { ...paths, table: paths.byGroup! }, candidates: ['/Blog/a'] });
    expect(byGroup.sql).toContain('lowerUTF8(path) LIKE lowerUTF8({');
    expect(byGroup.sql).toContain('path IN {');
  });

  it('reach the table of visits, the visits join and raw events (goal and props included)', () => {
    const visits: QueryPlan = { ...base, metrics: ['visits', 'bounce_rate'], filters: [{ op: 'matches', dimension: 'entry_page', values: ['/BLOG*'], ignoreCase: true }] };
    expect(visitsAnswer(visits, ALL)).toBe(true);
    expect(buildVisitsQuery(visits, { range: visits.range, schema: ALL }).sql).toContain('lowerUTF8(s.s_entry_page) LIKE lowerUTF8({');
    const joined: QueryPlan = {
      ...base,
      metrics: ['visits', 'bounce_rate', 'conversion_rate'],
      dimensions: ['page'],
      filters: [
        { op: 'is', dimension: 'source', values: ['GOOGLE'], ignoreCase: true },
        { op: 'contains', dimension: 'event_name', values: ['SIGN'], ignoreCase: true },
        { op: 'is_not', dimension: 'prop:plan', values: ['FREE'], ignoreCase: true },
      ],
    };
    expect(visitsJoinAnswer(joined, ALL)).toBe(true);
    const j = buildVisitsJoinQuery(joined, { range: joined.range, schema: ALL }).sql;
    expect(j).toContain('lowerUTF8(s_source) IN arrayMap(fv -> lowerUTF8(fv), ');
    expect(j).toContain('multiSearchAny(lowerUTF8(name), arrayMap(fv -> lowerUTF8(fv), ');
    expect(j).toMatch(/lowerUTF8\(props\[\{p\d+:String\}\]\) NOT IN arrayMap/);
    for (const plan of [joined, visits, { ...base, metrics: ['visitors', 'conversion_rate'] as QueryPlan['metrics'], filters: joined.filters.slice(1) }]) {
      const raw = buildQuery(plan, { range: plan.range, schema: ALL }).sql;
      expect(raw, JSON.stringify(plan.filters)).toMatch(lowered);
      expect(raw).not.toContain('GOOGLE');
    }
  });
});
