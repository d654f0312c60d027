import { describe, expect, it } from 'vitest';
import { normalisePath } from './path.js';

describe('normalisePath', () => {
  it.each([
    ['/', '/'],
    ['/docs/', '/docs'],
    ['/docs/index.html', '/docs'],
    ['/index.htm', '/'],
    ['//a///b//', '/a/b'],
    ['/caf%C3%A9', '/café'],
    ['/bad%E0%A4%A', '/bad%E0%A4%A'],
    ['/Case/Kept', '/Case/Kept'],
    ['', ''],
  ])('%s → %s', (input, out) => {
    expect(normalisePath(input)).toBe(out);
  });

  it('caps the length', () => {
    expect(normalisePath('/' + 'a'.repeat(5000)).length).toBe(1024);
  });
});
