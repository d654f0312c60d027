import { describe, expect, it } from 'vitest';
import { MAX_STRING_LENGTH } from '@pulse/protocol';
import { translateMessage, type MessageScope } from './translate.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const scope: MessageScope = { batchContext: undefined, sentAt: undefined, receivedAt: NOW };
const iso = (ms: number) => new Date(ms).toISOString();

describe('translateMessage', () => {
  it('turns a track call into an event named after it, with ids, time, page context, locale and screen width', () => {
    const msg = {
      type: 'track',
      event: 'Signed Up',
      messageId: 'ajs-next-1',
      timestamp: iso(NOW - 60_000),
      anonymousId: 'anon-1',
      userId: 'user-1',
      properties: { plan: 'pro', seats: 3 },
      context: {
        locale: 'de-DE',
        screen: { width: 1280, height: 800 },
        page: { url: 'https://shop.example/signup?utm_source=x', referrer: 'https://news.example/', title: 'Sign up', path: '/signup' },
        userAgent: 'Mozilla/5.0 (the visitor)',
        ip: '203.0.113.9',
        library: { name: 'analytics.js', version: 'next-1.0.0' },
      },
      integrations: {},
      writeKey: 'wk_ignored',
    };
    expect(translateMessage(msg, undefined, scope)).toEqual({
      event: {
        name: 'Signed Up',
        id: 'ajs-next-1',
        ts: NOW - 60_000,
        visitor_id: 'anon-1',
        user_id: 'user-1',
        url: 'https://shop.example/signup?utm_source=x',
        referrer: 'https://news.example/',
        title: 'Sign up',
        lang: 'de-DE',
        screen_width: 1280,
        props: { plan: 'pro', seats: 3 },
      },
    });
  });

  it('turns a page call into a pageview: url, referrer and title from properties, else the page context; name and category as props', () => {
    const page = {
      type: 'page',
      name: 'Pricing',
      category: 'Docs',
      properties: { url: 'https://shop.example/pricing', referrer: 'https://a.example/', title: 'Pricing', path: '/pricing', search: '', category: 'ignored', keywords: ['a', 'b'], variant: 'b' },
      context: { page: { url: 'https://other.example/', title: 'Other' } },
    };
    expect(translateMessage(page, undefined, scope)).toEqual({
      event: {
        name: 'pageview',
        url: 'https://shop.example/pricing',
        referrer: 'https://a.example/',
        title: 'Pricing',
        props: { category: 'Docs', keywords: '["a","b"]', variant: 'b', name: 'Pricing' },
      },
    });
    // Only the context knows the page (analytics.js sends both; server calls often just one).
    expect(translateMessage({ type: 'page', context: { page: { url: 'https://shop.example/a', title: 'A' } } }, undefined, scope)).toEqual({
      event: { name: 'pageview', url: 'https://shop.example/a', title: 'A' },
    });
    // Only a path: the pageview's url is the path (and query), as our server SDK may send.
    expect(translateMessage({ type: 'page', properties: { path: '/docs', search: 'q=1' } }, undefined, scope)).toEqual({ event: { name: 'pageview', url: '/docs?q=1' } });
    expect(translateMessage({ type: 'page', context: { page: { path: '/docs', search: '?q=1' } } }, undefined, scope)).toEqual({ event: { name: 'pageview', url: '/docs?q=1' } });
    // No url anywhere: the event is translated and validation refuses it (pageview_without_url).
    expect(translateMessage({ type: 'page', name: 'Home' }, undefined, scope)).toEqual({ event: { name: 'pageview', props: { name: 'Home' } } });
  });

  it('turns a screen call into a screenview with the screen name and category as props and no url', () => {
    expect(translateMessage({ type: 'screen', name: 'Cart', category: 'Shop', properties: { items: 2 }, anonymousId: 'a' }, undefined, scope)).toEqual({
      event: { name: 'screenview', visitor_id: 'a', props: { items: 2, name: 'Cart', category: 'Shop' } },
    });
  });

  it('ignores identify, group and alias: no event, no error', () => {
    for (const type of ['identify', 'group', 'alias']) {
      expect(translateMessage({ type, userId: 'u', traits: { email: 'x@y' } }, undefined, scope)).toEqual({ ignored: true });
      expect(translateMessage({ traits: {} }, type as 'identify', scope)).toEqual({ ignored: true });
    }
  });

  it('takes the type of a single-message path over the body', () => {
    expect(translateMessage({ type: 'identify', event: 'Clicked' }, 'track', scope)).toEqual({ event: { name: 'Clicked' } });
  });

  it('fills visitor_id from userId when there is no anonymousId, as sdk-node does, and reads numeric ids as strings', () => {
    expect(translateMessage({ type: 'track', event: 'e', userId: 'u1' }, undefined, scope)).toEqual({ event: { name: 'e', visitor_id: 'u1', user_id: 'u1' } });
    expect(translateMessage({ type: 'track', event: 'e', userId: 42, anonymousId: '' }, undefined, scope)).toEqual({ event: { name: 'e', visitor_id: '42', user_id: '42' } });
    expect(translateMessage({ type: 'track', event: 'e', anonymousId: 7 }, undefined, scope)).toEqual({ event: { name: 'e', visitor_id: '7' } });
    // Other types pass on for validation to name (invalid_type:visitor_id).
    expect(translateMessage({ type: 'track', event: 'e', anonymousId: { a: 1 } }, undefined, scope)).toEqual({ event: { name: 'e', visitor_id: { a: 1 } } });
  });

  it('maps revenue (else total) and currency (default USD, upper-cased) and keeps them out of props', () => {
    const t = (properties: Record<string, unknown>) => translateMessage({ type: 'track', event: 'Order Completed', properties }, undefined, scope);
    expect(t({ revenue: 49.9, currency: 'eur', total: 55, tax: 5 })).toEqual({
      event: { name: 'Order Completed', revenue: { amount: 49.9, currency: 'EUR' }, props: { total: 55, tax: 5 } },
    });
    expect(t({ total: 55, revenue: null })).toEqual({ event: { name: 'Order Completed', revenue: { amount: 55, currency: 'USD' } } });
    expect(t({ revenue: '12.50' })).toEqual({ event: { name: 'Order Completed', revenue: { amount: 12.5, currency: 'USD' } } });
    expect(t({ revenue: 0, currency: 'JPY' })).toEqual({ event: { name: 'Order Completed', revenue: { amount: 0, currency: 'JPY' } } });
    // Not a number, or a currency that is no code: passed on for validation to refuse.
    expect(t({ revenue: 'lots' })).toEqual({ event: { name: 'Order Completed', revenue: { amount: 'lots', currency: 'USD' } } });
    expect(t({ revenue: 1, currency: 5 })).toEqual({ event: { name: 'Order Completed', revenue: { amount: 1, currency: 5 } } });
    // No revenue: currency stays a prop.
    expect(t({ currency: 'EUR', price: 3 })).toEqual({ event: { name: 'Order Completed', props: { currency: 'EUR', price: 3 } } });
  });

  it('reads timestamp (else originalTimestamp) and corrects it with sentAt, the message’s own first', () => {
    const at = (msg: Record<string, unknown>, s: MessageScope = scope) => {
      const r = translateMessage({ type: 'track', event: 'e', ...msg }, undefined, s);
      return 'event' in r ? r.event.ts : r;
    };
    expect(at({ timestamp: iso(NOW - 5_000) })).toBe(NOW - 5_000);
    expect(at({ originalTimestamp: iso(NOW - 5_000) })).toBe(NOW - 5_000);
    expect(at({ timestamp: NOW - 7 })).toBe(NOW - 7);
    expect(at({})).toBeUndefined();
    // The client clock is an hour behind: its sentAt says so.
    const behind = { ...scope, sentAt: NOW - 3_600_000 };
    expect(at({ timestamp: iso(NOW - 3_600_000 - 2_000) }, behind)).toBe(NOW - 2_000);
    expect(at({ timestamp: iso(NOW - 3_600_000 - 2_000), sentAt: iso(NOW - 3_600_000 - 1_000) }, behind)).toBe(NOW - 1_000);
    expect(at({ timestamp: 'last tuesday' })).toEqual({ reason: 'invalid_value:timestamp' });
    expect(at({ originalTimestamp: { t: 1 } })).toEqual({ reason: 'invalid_type:originalTimestamp' });
    expect(at({ sentAt: 'now' })).toEqual({ reason: 'invalid_value:sentAt' });
  });

  it('merges the body context under the message context, field by field', () => {
    const s: MessageScope = { ...scope, batchContext: { locale: 'fr-FR', screen: { width: 390 }, page: { url: 'https://b.example/', title: 'Batch' } } };
    expect(translateMessage({ type: 'track', event: 'e', context: { page: { title: 'Own' } } }, undefined, s)).toEqual({
      event: { name: 'e', url: 'https://b.example/', title: 'Own', lang: 'fr-FR', screen_width: 390 },
    });
  });

  it('takes ambient context only when usable: cut strings, ignore wrong types and impossible widths', () => {
    const long = `https://shop.example/${'x'.repeat(2_000)}`;
    const r = translateMessage({ type: 'track', event: 'e', context: { locale: 5, screen: { width: 1280.5 }, page: { url: long, title: ['t'] } } }, undefined, scope);
    expect(r).toEqual({ event: { name: 'e', url: long.slice(0, MAX_STRING_LENGTH) } });
    for (const width of [-1, 100_001, '1280', null]) {
      expect(translateMessage({ type: 'track', event: 'e', context: { screen: { width } } }, undefined, scope)).toEqual({ event: { name: 'e' } });
    }
    expect(translateMessage({ type: 'track', event: 'e', context: 'junk' }, undefined, scope)).toEqual({ event: { name: 'e' } });
  });

  it('never carries the body’s IP or user agent into the event', () => {
    const r = translateMessage({ type: 'track', event: 'e', context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0' } }, undefined, scope);
    expect(r).toEqual({ event: { name: 'e' } });
  });

  it('refuses garbage with a reason', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'not_an_object'],
      ['track', 'not_an_object'],
      [[{ type: 'track' }], 'not_an_object'],
      [{ event: 'e' }, 'missing_type'],
      [{ type: 5, event: 'e' }, 'invalid_type:type'],
      [{ type: 'Track', event: 'e' }, 'invalid_value:type'],
      [{ type: 'purchase', event: 'e' }, 'invalid_value:type'],
      [{ type: 'track', event: 'e', properties: ['a'] }, 'invalid_type:properties'],
      [{ type: 'track', event: 'e', properties: 'a=b' }, 'invalid_type:properties'],
      [{ type: 'track', event: 'e', properties: { [`${'k'.repeat(70)}`]: 1 } }, `invalid_prop_key:${'k'.repeat(64)}`],
    ];
    for (const [msg, reason] of cases) expect([msg, translateMessage(msg, undefined, scope)]).toEqual([msg, { reason }]);
    // What validation judges passes on as sent: a missing or non-string event name.
    expect(translateMessage({ type: 'track' }, undefined, scope)).toEqual({ event: { name: undefined } });
    expect(translateMessage({ type: 'track', event: 5 }, undefined, scope)).toEqual({ event: { name: 5 } });
  });
});
