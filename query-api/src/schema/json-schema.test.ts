import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { validate, type JsonSchema } from './json-schema.js';

const schema: JsonSchema = {
  type: 'object',
  required: ['name', 'tags'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 5 },
    count: { type: 'integer', minimum: 0, maximum: 9 },
    tags: { type: 'array', maxItems: 2, items: { type: 'string', enum: ['a', 'b'] } },
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false, minItems: 2 },
    when: { anyOf: [{ type: 'string', pattern: '^today$' }, { type: 'object', properties: { at: { type: 'string', format: 'date-time' } }, required: ['at'] }] },
  },
};

function fieldOf(value: unknown): string {
  try {
    validate(schema, value);
  } catch (err) {
    if (err instanceof BadRequestError) return err.field;
    throw err;
  }
  return 'ok';
}

describe('validate', () => {
  it('accepts a valid value', () => {
    expect(fieldOf({ name: 'x', tags: ['a'], pair: ['k', 1], when: { at: '2026-01-01T00:00:00Z' } })).toBe('ok');
    expect(fieldOf({ name: 'x', tags: [], when: 'today' })).toBe('ok');
  });

  it('names the first offending field', () => {
    expect(fieldOf([])).toBe('');
    expect(fieldOf({ tags: [] })).toBe('name');
    expect(fieldOf({ name: '', tags: [] })).toBe('name');
    expect(fieldOf({ name: 'toolong', tags: [] })).toBe('name');
    expect(fieldOf({ name: 'x', tags: ['a', 'c'] })).toBe('tags[1]');
    expect(fieldOf({ name: 'x', tags: ['a', 'b', 'a'] })).toBe('tags');
    expect(fieldOf({ name: 'x', tags: [], count: 1.5 })).toBe('count');
    expect(fieldOf({ name: 'x', tags: [], count: 10 })).toBe('count');
    expect(fieldOf({ name: 'x', tags: [], pair: ['k', 'v'] })).toBe('pair[1]');
    expect(fieldOf({ name: 'x', tags: [], pair: ['k', 1, 2] })).toBe('pair[2]');
    expect(fieldOf({ name: 'x', tags: [], when: { at: '2026-01-01' } })).toBe('when.at');
    expect(fieldOf({ name: 'x', tags: [], when: 'tomorrow' })).toBe('when');
    expect(fieldOf({ name: 'x', tags: [], when: 5 })).toBe('when');
    expect(fieldOf({ name: 'x', tags: [], other: 1 })).toBe('other');
  });

  it('uniqueItems names the repeat and the item it repeats', () => {
    const ids: JsonSchema = { type: 'array', uniqueItems: true, items: { type: 'string' } };
    expect(() => validate(ids, ['a', 'b', 'c'])).not.toThrow();
    expect(() => validate(ids, ['a', 'b', 'a'], 'site_ids')).toThrow(new BadRequestError('site_ids[2]', 'repeats site_ids[0]'));
    // Items are checked first: a wrong item is named before any repeat of it.
    expect(() => validate(ids, [1, 1], 'site_ids')).toThrow('site_ids[0]: must be a string');
  });
});
