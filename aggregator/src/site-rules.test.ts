import { describe, expect, it } from 'vitest';
import { globToRegExp } from './site-rules.js';

describe('globToRegExp', () => {
  it('matches * across path segments and everything else literally', () => {
    const re = globToRegExp('/admin/*');
    expect(re.test('/admin/users')).toBe(true);
    expect(re.test('/admin/a/b')).toBe(true);
    expect(re.test('/admin')).toBe(false);
    expect(re.test('/x/admin/y')).toBe(false);
    expect(globToRegExp('/a.b').test('/aXb')).toBe(false);
    expect(globToRegExp('*/preview').test('/blog/post/preview')).toBe(true);
    expect(globToRegExp('/exact').test('/exact')).toBe(true);
    expect(globToRegExp('/exact').test('/exact/more')).toBe(false);
  });
});
