import { describe, expect, it } from 'vitest';
import { hashRoute } from './hash.js';

describe('hashRoute', () => {
  it('folds the route into the path, after the page path', () => {
    expect(hashRoute('https://h/#/cart')).toBe('https://h/cart');
    expect(hashRoute('https://h/app/#/cart')).toBe('https://h/app/cart');
    expect(hashRoute('https://h/hash.html#/products')).toBe('https://h/hash.html/products');
    expect(hashRoute('https://h/app#section')).toBe('https://h/app/section');
  });

  it('keeps the page query a query, behind the route', () => {
    expect(hashRoute('https://h/?utm_campaign=x#/cart')).toBe('https://h/cart?utm_campaign=x');
    expect(hashRoute('https://h/app/?utm_source=a&utm_medium=b#/cart')).toBe('https://h/app/cart?utm_source=a&utm_medium=b');
  });

  it("merges the route's own query into the page's", () => {
    expect(hashRoute('https://h/?utm_campaign=x#/cart?step=2')).toBe('https://h/cart?utm_campaign=x&step=2');
    expect(hashRoute('https://h/hash.html#/cart?coupon=x')).toBe('https://h/hash.html/cart?coupon=x');
    expect(hashRoute('https://h/a?x=1#?y=2')).toBe('https://h/a?x=1&y=2');
  });

  it('leaves a URL without a route as it is, less an empty hash', () => {
    expect(hashRoute('https://h/a?x=1')).toBe('https://h/a?x=1');
    expect(hashRoute('https://h/a')).toBe('https://h/a');
    expect(hashRoute('https://h/#')).toBe('https://h/');
    expect(hashRoute('https://h/#/')).toBe('https://h/');
    expect(hashRoute('https://h/a?#/b')).toBe('https://h/a/b');
  });
});
