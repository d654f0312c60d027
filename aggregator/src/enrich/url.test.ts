import { describe, expect, it } from 'vitest';
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
});

describe('referrerHost', () => {
  it('lower-cases the host and ignores junk', () => {
    expect(referrerHost('https://News.YCombinator.com/item?id=1')).toBe('news.ycombinator.com');
    expect(referrerHost('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
    expect(referrerHost('')).toBe('');
    expect(referrerHost('nonsense')).toBe('');
  });
});
