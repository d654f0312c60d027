import { describe, expect, it } from 'vitest';
import { urlKind } from '@pulse/protocol';
import { referrerHost, urlParts } from './url.js';

describe('urlParts', () => {
  it('takes hostname, pathname and the five UTM parameters', () => {
    expect(urlParts('https://WWW.Example.com:8443/a/b%20c/?utm_source=tw&utm_medium=social&utm_campaign=x%20y&x=1#frag')).toEqual({
      hostname: 'www.example.com',
      path: '/a/b%20c/',
      utm_source: 'tw',
      utm_medium: 'social',
      utm_campaign: 'x y',
      utm_term: '',
      utm_content: '',
    });
  });

  it('answers a repeated URL from its cache with the same parts, parsable or not', () => {
    const url = 'https://shop.example/p?utm_source=news';
    expect(urlParts(url)).toBe(urlParts(url));
    expect(urlParts(url).utm_source).toBe('news');
    expect(urlParts('not a url')).toEqual(urlParts('not a url'));
    expect(urlParts('not a url').hostname).toBe('');
    expect(referrerHost('https://Ref.Example/x')).toBe(referrerHost('https://Ref.Example/x'));
    expect(referrerHost('https://Ref.Example/x')).toBe('ref.example');
  });

  it('gives empty strings for missing or unparsable URLs', () => {
    const empty = { hostname: '', path: '', utm_source: '', utm_medium: '', utm_campaign: '', utm_term: '', utm_content: '' };
    expect(urlParts(undefined)).toEqual(empty);
    expect(urlParts('')).toEqual(empty);
    expect(urlParts('not a url')).toEqual(empty);
  });

  it('uses / for a bare origin', () => {
    expect(urlParts('https://example.com').path).toBe('/');
  });

  it('reads a url starting with a single / as a path without a host (server SDKs send those)', () => {
    expect(urlParts('/relative/path?utm_source=news&utm_medium=email#x')).toMatchObject({ hostname: '', path: '/relative/path', utm_source: 'news', utm_medium: 'email' });
    expect(urlParts('/')).toMatchObject({ hostname: '', path: '/' });
    // Never a host, even where a browser would make one of it: tabs are dropped, "\\" is "/".
    expect(urlParts('/\t/evil.test/x')).toMatchObject({ hostname: '', path: '//evil.test/x' });
    expect(urlParts('/a/../b c')).toMatchObject({ hostname: '', path: '/b%20c' });
  });

  it('gives no page for urls that are neither absolute nor paths, as the collector refuses them for pageviews', () => {
    const empty = { hostname: '', path: '' };
    for (const url of ['relative/path', '//cdn.test/x', 'https://', 'http://not a url', '/\\evil.test/x']) expect(urlParts(url)).toMatchObject(empty);
    // Another event's url (the collector keeps whatever it is) is still read as any URL, as before.
    expect(urlParts('app://screen/home')).toMatchObject({ hostname: 'screen', path: '/home' });
  });

  it('splits by hand an http(s) URL the collector took that WHATWG refuses, rather than lose its page', () => {
    expect(urlParts('https://Shop.Test:99999/cart?utm_source=x')).toMatchObject({ hostname: 'shop.test', path: '/cart', utm_source: 'x' });
    expect(urlParts('https://user@[::1/x')).toMatchObject({ hostname: '[::1', path: '/x' });
    expect(urlParts('https://[::1]:bad?ref=y')).toMatchObject({ hostname: '[::1]', path: '/', utm_source: 'y' });
  });

  it('gives a page to every url the collector takes for a pageview, and a host to every absolute one', () => {
    const taken = ['https://shop.test/a', 'HTTP://SHOP.TEST', 'https://x?q=1', 'https://u:p@h:1/x', 'https://h:99999/', 'https://[::1', 'https://a_b.test/', 'https://bücher.test/ü', '/', '/a?b#c', '/\t/x'];
    for (const url of taken) {
      const kind = urlKind(url);
      expect(kind, url).not.toBe('other');
      const parts = urlParts(url);
      expect(parts.path, url).toMatch(/^\//);
      if (kind === 'absolute') expect(parts.hostname, url).not.toBe('');
      else expect(parts.hostname, url).toBe('');
    }
  });

  it('falls back from utm_source to source, then ref, as Plausible does', () => {
    expect(urlParts('https://shop.test/?ref=producthunt').utm_source).toBe('producthunt');
    expect(urlParts('https://shop.test/landing?source=Newsletter').utm_source).toBe('Newsletter');
    expect(urlParts('https://shop.test/?ref=a&source=b').utm_source).toBe('b');
    expect(urlParts('https://shop.test/?ref=a&source=b&utm_source=c').utm_source).toBe('c');
    // An empty parameter is no tag: the next one counts.
    expect(urlParts('https://shop.test/?utm_source=&ref=hn').utm_source).toBe('hn');
    expect(urlParts('https://shop.test/?refx=a&sources=b').utm_source).toBe('');
    expect(urlParts('https://shop.test/?ref=Product%20Hunt').utm_source).toBe('Product Hunt');
  });
});

describe('referrerHost', () => {
  it('lower-cases the host and ignores junk', () => {
    expect(referrerHost('https://News.YCombinator.com/item?id=1')).toBe('news.ycombinator.com');
    expect(referrerHost('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
    expect(referrerHost('')).toBe('');
    expect(referrerHost('nonsense')).toBe('');
  });
});
