import { describe, expect, it } from 'vitest';
import { buildQuery, globToLike } from './sql.js';
import type { QueryPlan } from './plan.js';
import { EMPTY_SCHEMA } from '../schema-probe.js';

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
