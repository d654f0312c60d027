import { UTC_SITE } from './test-fixtures.js';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { planQuery, validateQueryRequest } from './plan.js';
import { FILTER_MODIFIERS_SCHEMA, FILTER_SCHEMA, QUERY_REQUEST_SCHEMA } from './schema.js';

const NOW = Date.parse('2026-01-06T12:00:00Z');
const body = (filters: unknown[]) => ({ site_id: 's_AAAAAAAAAAAAAAAA', metrics: ['pageviews'], date_range: '7d', filters });

/** `field: message` of the 400 a body gets, or 'ok'. */
function problem(filters: unknown[]): string {
  try {
    validateQueryRequest(body(filters));
  } catch (err) {
    if (err instanceof BadRequestError) return err.message;
    throw err;
  }
  return 'ok';
}

describe('filter modifiers (the 4th element)', () => {
  it('takes {case_sensitive: boolean} on every op, and none at all as before', () => {
    for (const op of ['is', 'is_not', 'contains', 'matches']) {
      expect(problem([[op, 'page', ['/Blog'], { case_sensitive: false }]])).toBe('ok');
      expect(problem([[op, 'page', ['/Blog'], { case_sensitive: true }]])).toBe('ok');
      expect(problem([[op, 'page', ['/Blog'], {}]])).toBe('ok');
      expect(problem([[op, 'page', ['/Blog']]])).toBe('ok');
    }
    expect(problem([['is', 'prop:plan', ['Pro'], { case_sensitive: false }], ['contains', 'event_name', ['sign'], { case_sensitive: false }]])).toBe('ok');
  });

  it('names the offending field of anything else', () => {
    expect(problem([['contains', 'page', ['blog'], { case_sensitive: 'false' }]])).toMatch(/^filters\[0\]\[3\]\.case_sensitive: must be a boolean/);
    expect(problem([['contains', 'page', ['blog'], { case_sensitive: 0 }]])).toMatch(/^filters\[0\]\[3\]\.case_sensitive: /);
    expect(problem([['contains', 'page', ['blog'], { case_sensitive: null }]])).toMatch(/^filters\[0\]\[3\]\.case_sensitive: /);
    expect(problem([['is', 'page', ['/'], { case_sensitive: true, casesensitive: false }]])).toMatch(/^filters\[0\]\[3\]\.casesensitive: is not a known field/);
    expect(problem([['is', 'page', ['/']], ['is', 'page', ['/'], { "' OR 1=1 --": true }]])).toMatch(/^filters\[1\]\[3\]\.' OR 1=1 --: is not a known field/);
    // As JSON.parse makes it from a body: an own key named __proto__.
    expect(problem([['is', 'page', ['/'], JSON.parse('{"__proto__":{"case_sensitive":false}}')]])).toMatch(/^filters\[0\]\[3\]\.__proto__: is not a known field/);
    expect(problem([['is', 'page', ['/'], false]])).toMatch(/^filters\[0\]\[3\]: must be an object/);
    expect(problem([['is', 'page', ['/'], 'case_insensitive']])).toMatch(/^filters\[0\]\[3\]: must be an object/);
    expect(problem([['is', 'page', ['/'], null]])).toMatch(/^filters\[0\]\[3\]: must be an object/);
    expect(problem([['is', 'page', ['/'], [{ case_sensitive: false }]]])).toMatch(/^filters\[0\]\[3\]: must be an object/);
    expect(problem([['is', 'page', ['/'], { case_sensitive: false }, {}]])).toMatch(/^filters\[0\]: must have at most 4 items/);
    // The values keep their own checks with a modifier.
    expect(problem([['is', 'page', [], { case_sensitive: false }]])).toMatch(/^filters\[0\]\[2\]: /);
  });

  it('plans an insensitive filter apart from a sensitive one, and {case_sensitive: true} as no modifier', () => {
    const plan = (filters: unknown[]) => planQuery(validateQueryRequest(body(filters)), UTC_SITE, NOW);
    const none = plan([['contains', 'page', ['blog']]]);
    const sensitive = plan([['contains', 'page', ['blog'], { case_sensitive: true }]]);
    const empty = plan([['contains', 'page', ['blog'], {}]]);
    const insensitive = plan([['contains', 'page', ['blog'], { case_sensitive: false }]]);
    expect(none.filters).toEqual([{ op: 'contains', dimension: 'page', values: ['blog'] }]);
    expect(insensitive.filters).toEqual([{ op: 'contains', dimension: 'page', values: ['blog'], ignoreCase: true }]);
    // The plan is the answer cache's key (routes/reports.ts): equal for the same meaning only.
    expect(JSON.stringify(sensitive)).toBe(JSON.stringify(none));
    expect(JSON.stringify(empty)).toBe(JSON.stringify(none));
    expect(JSON.stringify(insensitive)).not.toBe(JSON.stringify(none));
  });

  it('a case-insensitive goal is still a goal for conversion_rate', () => {
    const req = { ...body([['is', 'event_name', ['SIGNUP'], { case_sensitive: false }]]), metrics: ['conversion_rate'] };
    expect(planQuery(validateQueryRequest(req), UTC_SITE, NOW).filters[0]?.ignoreCase).toBe(true);
  });

  it('is in the schema /openapi.json embeds', () => {
    expect(QUERY_REQUEST_SCHEMA.properties?.filters?.items).toBe(FILTER_SCHEMA);
    expect(FILTER_SCHEMA.prefixItems?.[3]).toBe(FILTER_MODIFIERS_SCHEMA);
    expect(FILTER_MODIFIERS_SCHEMA.properties?.case_sensitive).toMatchObject({ type: 'boolean', default: true });
    expect(FILTER_SCHEMA.examples).toContainEqual(['contains', 'page', ['blog'], { case_sensitive: false }]);
  });
});
