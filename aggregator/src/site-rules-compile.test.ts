import { describe, expect, it } from 'vitest';
import { urlParts } from './enrich/url.js';
import { compileSiteRules, globToRegExp, type RuleFields } from './site-rules-compile.js';

/** The fields a row gets from its url (as rows.ts reads it) and the edge's country header. */
const row = (url: string, country = 'DE'): RuleFields => {
  const { hostname, path } = urlParts(url);
  return { hostname, path, country };
};

const rulesOf = (settings: Record<string, unknown>) => {
  const r = compileSiteRules(settings);
  if (!r) throw new Error('expected rules');
  return r;
};

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

describe('compileSiteRules', () => {
  it('is undefined for a site without rules, whatever the record holds', () => {
    expect(compileSiteRules(undefined)).toBeUndefined();
    expect(compileSiteRules(null)).toBeUndefined();
    expect(compileSiteRules({ excluded_paths: [] })).toBeUndefined();
    expect(compileSiteRules({ excluded_paths: [], allowed_hostnames: [], excluded_countries: [] })).toBeUndefined();
    expect(compileSiteRules({ excluded_paths: 'nope', allowed_hostnames: [1, null, ''], excluded_countries: {} })).toBeUndefined();
  });

  it('excluded_paths: as before, several patterns, case kept, no path kept', () => {
    const r = rulesOf({ excluded_paths: ['/admin/*', '/preview', '/admin/*'] });
    expect(r.excluded(row('https://shop.test/admin/users'))).toBe('excluded_paths');
    expect(r.excluded(row('https://shop.test/preview'))).toBe('excluded_paths');
    expect(r.excluded(row('https://shop.test/Preview'))).toBeUndefined();
    expect(r.excluded(row('https://shop.test/admin'))).toBeUndefined();
    expect(r.excluded({ hostname: '', path: '', country: 'DE' })).toBeUndefined();
  });

  it('allowed_hostnames: exact names and * wildcards, any case, no port, dots literal', () => {
    const r = rulesOf({ allowed_hostnames: ['Example.COM', '*.shop.example.org'] });
    expect(r.excluded(row('https://example.com/x'))).toBeUndefined();
    expect(r.excluded(row('https://EXAMPLE.com:8443/x'))).toBeUndefined();
    expect(r.excluded(row('https://a.shop.example.org/'))).toBeUndefined();
    expect(r.excluded(row('https://a.b.shop.example.org/'))).toBeUndefined();
    // `*.` asks for a subdomain: the bare name is a rule of its own.
    expect(r.excluded(row('https://shop.example.org/'))).toBe('allowed_hostnames');
    expect(r.excluded(row('https://www.example.com/'))).toBe('allowed_hostnames');
    expect(r.excluded(row('https://exampleXcom/'))).toBe('allowed_hostnames');
    expect(r.excluded(row('https://example.com.evil.test/'))).toBe('allowed_hostnames');
    expect(r.excluded(row('https://spam.test/'))).toBe('allowed_hostnames');
    // A hand-written entry with a port still names the host.
    expect(rulesOf({ allowed_hostnames: ['localhost:3000'] }).excluded(row('http://localhost:3000/'))).toBeUndefined();
    expect(rulesOf({ allowed_hostnames: ['*'] }).excluded(row('https://anything.test/'))).toBeUndefined();
  });

  it('allowed_hostnames keeps events without a page host: no url, or a path-only url from a server SDK', () => {
    const r = rulesOf({ allowed_hostnames: ['example.com'] });
    expect(r.excluded({ hostname: '', path: '', country: 'DE' })).toBeUndefined();
    expect(r.excluded(row('/pricing?ref=x'))).toBeUndefined();
    expect(r.excluded(row('not a url'))).toBeUndefined();
  });

  it('excluded_countries: listed codes dropped, others and the unknown country kept', () => {
    const r = rulesOf({ excluded_countries: ['DE', 'fr'] });
    expect(r.excluded(row('https://shop.test/', 'DE'))).toBe('excluded_countries');
    expect(r.excluded(row('https://shop.test/', 'FR'))).toBe('excluded_countries');
    expect(r.excluded(row('https://shop.test/', 'US'))).toBeUndefined();
    expect(r.excluded(row('https://shop.test/', ''))).toBeUndefined();
    expect(r.excluded({ hostname: '', path: '', country: 'DE' })).toBe('excluded_countries');
  });

  it('combined: an event is dropped when any rule drops it, counted under the first (hostnames, countries, paths)', () => {
    const r = rulesOf({ excluded_paths: ['/admin/*'], allowed_hostnames: ['shop.test'], excluded_countries: ['RU'] });
    expect(r.excluded(row('https://shop.test/shop', 'DE'))).toBeUndefined();
    expect(r.excluded(row('https://shop.test/admin/x', 'DE'))).toBe('excluded_paths');
    expect(r.excluded(row('https://shop.test/shop', 'RU'))).toBe('excluded_countries');
    expect(r.excluded(row('https://shop.test/admin/x', 'RU'))).toBe('excluded_countries');
    expect(r.excluded(row('https://copy.test/admin/x', 'RU'))).toBe('allowed_hostnames');
    expect(r.excluded(row('https://copy.test/shop', ''))).toBe('allowed_hostnames');
    expect(r.excluded(row('/admin/x', ''))).toBe('excluded_paths');
  });
});
