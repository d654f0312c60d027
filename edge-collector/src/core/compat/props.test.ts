import { describe, expect, it } from 'vitest';
import { flattenProperties } from './props.js';
import { MAX_STRING_LENGTH } from '@pulse/protocol';

describe('flattenProperties', () => {
  it('keeps scalars, flattens nested objects into dotted keys, writes arrays as JSON and drops nulls', () => {
    const r = flattenProperties({
      plan: 'pro',
      seats: 3,
      trial: false,
      order: { id: 'o1', shipping: { method: 'dhl', cost: 4.5 }, coupon: null, empty: {} },
      tags: ['a', 'b'],
      products: [{ sku: 's1', qty: 1 }, null],
      none: null,
      nothing: {},
    });
    expect(r).toEqual({
      props: {
        plan: 'pro',
        seats: 3,
        trial: false,
        'order.id': 'o1',
        'order.shipping.method': 'dhl',
        'order.shipping.cost': 4.5,
        tags: '["a","b"]',
        products: '[{"sku":"s1","qty":1},null]',
      },
    });
    // Order of keys is the object's, nesting depth-first.
    expect(Object.keys((r as { props: object }).props)).toEqual(['plan', 'seats', 'trial', 'order.id', 'order.shipping.method', 'order.shipping.cost', 'tags', 'products']);
  });

  it('leaves out the top-level keys it is told to, not nested ones of the same name', () => {
    expect(flattenProperties({ url: 'u', total: 5, a: { url: 'x' } }, new Set(['url', 'total']))).toEqual({ props: { 'a.url': 'x' } });
  });

  it('lets the later of two paths to one key win and counts the key once', () => {
    const props: Record<string, unknown> = { 'a.b': 1, a: { b: 2 } };
    for (let i = 0; i < 63; i++) props[`k${i}`] = i;
    const r = flattenProperties(props);
    expect('props' in r && r.props['a.b']).toBe(2);
    expect('props' in r && Object.keys(r.props).length).toBe(64);
  });

  it('keeps keys named like Object.prototype members as own props', () => {
    const r = flattenProperties(JSON.parse('{"__proto__":{"x":1},"constructor":"c","o":{"__proto__":"p"}}'));
    expect('props' in r && Object.entries(r.props)).toEqual([
      ['__proto__.x', 1],
      ['constructor', 'c'],
      ['o.__proto__', 'p'],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('applies the prop limits with validation reasons: 64 keys after flattening, keys (dotted paths) of 64 characters', () => {
    const many: Record<string, unknown> = { top: 1, nested: {} };
    for (let i = 0; i < 63; i++) (many.nested as Record<string, unknown>)[`k${i}`] = i;
    expect('props' in flattenProperties(many)).toBe(true);
    (many.nested as Record<string, unknown>).k63 = 63;
    expect(flattenProperties(many)).toEqual({ reason: 'too_many_props' });
    // 64 keys and some nulls: fine, nulls are not props.
    const nulls: Record<string, unknown> = { dropped: null };
    for (let i = 0; i < 64; i++) nulls[`k${i}`] = i;
    expect('props' in flattenProperties(nulls)).toBe(true);

    const long = 'x'.repeat(60);
    expect(flattenProperties({ [long]: { abc: 1 } })).toEqual({ props: { [`${long}.abc`]: 1 } });
    expect(flattenProperties({ [long]: { abcd: 1 } })).toEqual({ reason: `invalid_prop_key:${`${long}.abcd`.slice(0, 64)}` });
    expect(flattenProperties({ ['y'.repeat(65)]: 1 })).toEqual({ reason: `invalid_prop_key:${'y'.repeat(64)}` });
    expect(flattenProperties({ '': 1 })).toEqual({ reason: 'invalid_prop_key:' });
  });

  it('stops at hostile nesting: deep objects by key length, deep arrays by their JSON', () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 100_000; i++) deep = { '': deep };
    const r = flattenProperties({ a: deep });
    expect('reason' in r && r.reason).toMatch(/^invalid_prop_key:a\.+$/);
    const deepArray = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    expect(flattenProperties({ list: deepArray })).toEqual({ reason: 'invalid_prop_value:list' });
  });

  it('passes values that are not JSON through, for validation to refuse', () => {
    const bytes = new Uint8Array([1]);
    expect(flattenProperties({ b: bytes })).toEqual({ props: { b: bytes } });
  });

  it('leaves out an array whose JSON is over the string limit, and keeps the rest of the event', () => {
    const products = Array.from({ length: 40 }, (_, i) => ({ product_id: `sku-${i}`, name: 'A product with a name', price: 19.99 }));
    expect(JSON.stringify(products).length).toBeGreaterThan(MAX_STRING_LENGTH);
    expect(flattenProperties({ order_id: 'o1', products, tags: ['a'] })).toEqual({ props: { order_id: 'o1', tags: '["a"]' } });
    const justFits = ['x'.repeat(MAX_STRING_LENGTH - 4)];
    expect(JSON.stringify(justFits).length).toBe(MAX_STRING_LENGTH);
    expect(flattenProperties({ l: justFits })).toEqual({ props: { l: JSON.stringify(justFits) } });
  });
});
