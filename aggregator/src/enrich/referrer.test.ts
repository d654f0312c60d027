import { describe, expect, it } from 'vitest';
import { referrerHost } from './url.js';
import { acquisition } from './referrer.js';

const acq = (ref: string, page = 'shop.example.com', utmSource = '', utmMedium = '') =>
  acquisition(referrerHost(ref), page, utmSource, utmMedium);

describe('acquisition', () => {
  it.each([
    ['https://www.google.com/search?q=shoes', { source: 'Google', medium: 'search' }],
    ['https://www.google.co.uk/', { source: 'Google', medium: 'search' }],
    ['https://duckduckgo.com/', { source: 'DuckDuckGo', medium: 'search' }],
    ['https://www.bing.com/search?q=x', { source: 'Bing', medium: 'search' }],
    ['https://t.co/abc123', { source: 'Twitter', medium: 'social' }],
    ['https://l.facebook.com/l.php?u=https%3A%2F%2Fshop.example.com', { source: 'Facebook', medium: 'social' }],
    ['https://www.reddit.com/r/shoes/comments/1', { source: 'Reddit', medium: 'social' }],
    ['https://news.ycombinator.com/item?id=1', { source: 'Hacker News', medium: 'social' }],
    ['https://mail.google.com/', { source: 'Gmail', medium: 'email' }],
    ['https://outlook.live.com/mail/0/', { source: 'Outlook.com', medium: 'email' }],
    ['https://blog.somebody.dev/post', { source: 'blog.somebody.dev', medium: 'other' }],
    ['https://www.unknown-site.org/', { source: 'unknown-site.org', medium: 'other' }],
    ['', { source: '', medium: 'direct' }],
    ['https://shop.example.com/cart', { source: '', medium: 'direct' }],
    ['https://www.shop.example.com/cart', { source: '', medium: 'direct' }],
  ])('%s', (ref, expected) => {
    expect(acq(ref)).toEqual(expected);
  });

  it('lets UTM parameters win', () => {
    expect(acq('https://www.google.com/', 'shop.example.com', 'newsletter-nov', 'email')).toEqual({ source: 'newsletter-nov', medium: 'email' });
    expect(acq('', 'shop.example.com', 'partner', '')).toEqual({ source: 'partner', medium: 'other' });
    expect(acq('https://t.co/x', 'shop.example.com', '', 'cpc')).toEqual({ source: 'Twitter', medium: 'search' });
    expect(acq('', 'shop.example.com', '', 'Social')).toEqual({ source: '', medium: 'social' });
  });
});
