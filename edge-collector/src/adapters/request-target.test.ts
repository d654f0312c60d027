import { describe, expect, it } from 'vitest';
import { requestTarget } from './request-target.js';

describe('requestTarget', () => {
  it('splits an absolute URL (Bun with a usable Host) into path and query', () => {
    expect(requestTarget('http://collector.example/v1/batch?key=wk_1')).toEqual({ path: '/v1/batch', query: 'key=wk_1' });
    expect(requestTarget('http://127.0.0.1:8080/v1/batch')).toEqual({ path: '/v1/batch', query: '' });
    expect(requestTarget('http://[::1]:80/segment/v1/t?a=1&b=2')).toEqual({ path: '/segment/v1/t', query: 'a=1&b=2' });
    expect(requestTarget('https://x/')).toEqual({ path: '/', query: '' });
  });

  it('takes an origin-form target (Bun without a usable Host) as it is', () => {
    expect(requestTarget('/v1/batch?key=wk_1')).toEqual({ path: '/v1/batch', query: 'key=wk_1' });
    expect(requestTarget('/v1/batch')).toEqual({ path: '/v1/batch', query: '' });
    expect(requestTarget('/')).toEqual({ path: '/', query: '' });
    // Not a scheme: a path that happens to hold "://" stays a path.
    expect(requestTarget('/r/http://x/y?z')).toEqual({ path: '/r/http://x/y', query: 'z' });
    expect(requestTarget('//v1/batch?k')).toEqual({ path: '//v1/batch', query: 'k' });
  });

  it('gives an empty path as / and an empty query as ""', () => {
    expect(requestTarget('http://x')).toEqual({ path: '/', query: '' });
    expect(requestTarget('http://x?key=1')).toEqual({ path: '/', query: 'key=1' });
    expect(requestTarget('http://x/v1/batch?')).toEqual({ path: '/v1/batch', query: '' });
    expect(requestTarget('/v1/batch?')).toEqual({ path: '/v1/batch', query: '' });
    expect(requestTarget('')).toEqual({ path: '/', query: '' });
  });

  it('splits at the first ? and leaves the fragment out', () => {
    expect(requestTarget('http://x/v1/batch?a?b=/c')).toEqual({ path: '/v1/batch', query: 'a?b=/c' });
    expect(requestTarget('http://x/v1/batch?k=1#frag')).toEqual({ path: '/v1/batch', query: 'k=1' });
    expect(requestTarget('http://x/v1/batch#frag?k=1')).toEqual({ path: '/v1/batch', query: '' });
    expect(requestTarget('http://x#f')).toEqual({ path: '/', query: '' });
    expect(requestTarget('http://x?a/b')).toEqual({ path: '/', query: 'a/b' });
  });

  it('keeps percent-escapes as sent', () => {
    expect(requestTarget('http://x/v1/a%20b?x=%20&key=wk_1')).toEqual({ path: '/v1/a%20b', query: 'x=%20&key=wk_1' });
  });

  it('agrees with new URL wherever new URL parses', () => {
    const urls = [
      'http://collector.example/v1/batch?key=wk_1',
      'http://x/segment/v1/projects/wk_abc/settings',
      'http://x/v1/batch?',
      'http://x/v1/batch?a?b#c',
      'http://x/v1/batch#c?d',
      'http://x:1234/a/b/c?d=e&f=g',
      'http://[::1]/v1/batch',
      'http://x',
      'http://x?q',
      'http://x//v1//batch?k',
    ];
    for (const u of urls) {
      const parsed = new URL(u);
      expect(requestTarget(u), u).toEqual({ path: parsed.pathname, query: parsed.search.slice(1) });
    }
  });
});
