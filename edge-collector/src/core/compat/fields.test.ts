import { describe, expect, it } from 'vitest';
import { MAX_STRING_LENGTH } from '@pulse/protocol';
import { amountOf, idOf, revenueOf, screenWidthOf, text } from './fields.js';

describe('text', () => {
  it('takes non-empty strings, cut to the string limit; nothing else', () => {
    expect(text('https://shop.example/')).toBe('https://shop.example/');
    expect(text('x'.repeat(MAX_STRING_LENGTH + 5))).toBe('x'.repeat(MAX_STRING_LENGTH));
    for (const v of ['', 5, null, undefined, ['a'], { a: 1 }]) expect(text(v)).toBeUndefined();
  });
});

describe('idOf', () => {
  it('reads numbers as their decimal text, empty as none, and passes other types on', () => {
    expect(idOf('u-1')).toBe('u-1');
    expect(idOf(1714521600)).toBe('1714521600');
    expect(idOf(0)).toBe('0');
    expect(idOf(12.5)).toBe('12.5');
    for (const v of ['', null, undefined]) expect(idOf(v)).toBeUndefined();
    expect(idOf(Number.NaN)).toBeNaN();
    expect(idOf({ a: 1 })).toEqual({ a: 1 });
  });
});

describe('amountOf and revenueOf', () => {
  it('reads decimal text as a number and upper-cases a string currency, passing anything else on', () => {
    expect(amountOf('12.50')).toBe(12.5);
    expect(amountOf('-3')).toBe(-3);
    expect(amountOf(7)).toBe(7);
    expect(amountOf('1e3')).toBe('1e3');
    expect(amountOf('12,50')).toBe('12,50');
    expect(revenueOf('9.99', 'eur')).toEqual({ amount: 9.99, currency: 'EUR' });
    expect(revenueOf(1, undefined)).toEqual({ amount: 1, currency: undefined });
    expect(revenueOf(true, 5)).toEqual({ amount: true, currency: 5 });
  });
});

describe('screenWidthOf', () => {
  it('keeps integers from 0 to 100000', () => {
    expect(screenWidthOf(1280)).toBe(1280);
    expect(screenWidthOf(0)).toBe(0);
    expect(screenWidthOf(100_000)).toBe(100_000);
    for (const v of [-1, 100_001, 1280.5, '1280', null, Number.NaN]) expect(screenWidthOf(v)).toBeUndefined();
  });
});
