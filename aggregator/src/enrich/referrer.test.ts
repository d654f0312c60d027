import { describe, expect, it } from 'vitest';
import { referrerHost, urlParts } from './url.js';
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

  it('counts ?ref= and ?source= on the landing URL as the source, as Plausible does', () => {
    const fromUrl = (url: string, ref = '') => {
      const page = urlParts(url);
      return acquisition(referrerHost(ref), page.hostname, page.utm_source, page.utm_medium);
    };
    expect(fromUrl('https://shop.test/?ref=producthunt')).toEqual({ source: 'producthunt', medium: 'other' });
    expect(fromUrl('https://shop.test/?source=Newsletter&utm_medium=email')).toEqual({ source: 'Newsletter', medium: 'email' });
    // The tag wins over the referrer, and utm_source over source and ref.
    expect(fromUrl('https://shop.test/?ref=producthunt', 'https://www.google.com/')).toEqual({ source: 'producthunt', medium: 'search' });
    expect(fromUrl('https://shop.test/?ref=a&utm_source=b')).toEqual({ source: 'b', medium: 'other' });
    // A path url (server SDKs) carries tags too.
    expect(fromUrl('/pricing?ref=hn-launch')).toEqual({ source: 'hn-launch', medium: 'other' });
    expect(fromUrl('https://shop.test/')).toEqual({ source: '', medium: 'direct' });
  });

  it('names a tag that spells a known source in any case as that source', () => {
    expect(acq('', 'shop.example.com', 'google', '')).toEqual({ source: 'Google', medium: 'search' });
    expect(acq('', 'shop.example.com', 'REDDIT', '')).toEqual({ source: 'Reddit', medium: 'social' });
    expect(acq('', 'shop.example.com', 'hacker news', '')).toEqual({ source: 'Hacker News', medium: 'social' });
    expect(acq('', 'shop.example.com', 'duckduckgo', 'cpc')).toEqual({ source: 'DuckDuckGo', medium: 'search' });
    expect(acq('', 'shop.example.com', 'gmail', '')).toEqual({ source: 'Gmail', medium: 'email' });
    // Hosts are not names: kept as written.
    expect(acq('', 'shop.example.com', 'google.com', '')).toEqual({ source: 'google.com', medium: 'other' });
  });

  it("finds nothing for hosts, tags and mediums named like Object.prototype's members", () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(acq(`https://${name}/x`)).toEqual({ source: name.toLowerCase(), medium: 'other' });
      expect(acq('', 'shop.example.com', name, name)).toEqual({ source: name, medium: 'other' });
    }
  });
});
