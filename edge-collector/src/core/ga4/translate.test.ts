import { describe, expect, it } from 'vitest';
import { MAX_STRING_LENGTH } from '@pulse/protocol';
import { ga4Scope, translateGa4Event } from './translate.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const micros = (ms: number) => ms * 1000;
const bare = ga4Scope({});
const t = (ev: unknown, body: Record<string, unknown> = {}) => translateGa4Event(ev, ga4Scope(body));

describe('ga4Scope', () => {
  it('reads the request fields once: visitor (client_id, else app_instance_id, else user_id), time, device, user properties', () => {
    expect(
      ga4Scope({
        client_id: '123.456',
        user_id: 42,
        timestamp_micros: micros(NOW - 1_000),
        device: { language: 'fr-fr', screen_resolution: '390x844', category: 'mobile' },
        user_properties: { tier: { value: 'gold' } },
        ip_override: '203.0.113.9',
      }),
    ).toEqual({ visitorId: '123.456', userId: '42', time: NOW - 1_000, lang: 'fr-fr', screenWidth: 390, userProps: { props: { 'user.tier': 'gold' } } });
    expect(ga4Scope({ app_instance_id: 'abcdef', user_id: 'u' })).toMatchObject({ visitorId: 'abcdef', userId: 'u' });
    expect(ga4Scope({ client_id: '', user_id: 'u' })).toMatchObject({ visitorId: 'u', userId: 'u' });
    expect(bare).toEqual({ visitorId: undefined, userId: undefined, time: 'absent', lang: undefined, screenWidth: undefined, userProps: { props: {} } });
  });
});

describe('translateGa4Event', () => {
  it('turns page_view into a pageview: url, referrer and title from page_location, page_referrer, page_title; ids, session, time, language, width', () => {
    const body = { client_id: '1234.5678', user_id: 'u-1', timestamp_micros: micros(NOW - 60_000) };
    const ev = {
      name: 'page_view',
      params: {
        page_location: 'https://shop.example/pricing?utm_source=news',
        page_referrer: 'https://news.example/',
        page_title: 'Pricing',
        session_id: 1_714_564_800,
        engagement_time_msec: 100,
        debug_mode: true,
        language: 'de-de',
        screen_resolution: '1920x1080',
        variant: 'b',
      },
    };
    expect(t(ev, body)).toEqual({
      event: {
        name: 'pageview',
        ts: NOW - 60_000,
        visitor_id: '1234.5678',
        user_id: 'u-1',
        session_id: '1714564800',
        url: 'https://shop.example/pricing?utm_source=news',
        referrer: 'https://news.example/',
        title: 'Pricing',
        lang: 'de-de',
        screen_width: 1920,
        props: { variant: 'b' },
      },
    });
    // No page_location: translated, and validation refuses it (pageview_without_url).
    expect(t({ name: 'page_view', params: { page_title: 'T' } })).toEqual({ event: { name: 'pageview', title: 'T' } });
  });

  it('keeps the page of any other event as its context, and any other name as sent', () => {
    expect(t({ name: 'sign_up', params: { method: 'Google', page_location: 'https://shop.example/signup', page_title: 'Sign up' } }, { client_id: 'c' })).toEqual({
      event: { name: 'sign_up', visitor_id: 'c', url: 'https://shop.example/signup', title: 'Sign up', props: { method: 'Google' } },
    });
    expect(t({ name: 'screen_view', params: { screen_name: 'Cart', firebase_screen_class: 'CartActivity' } })).toEqual({
      event: { name: 'screenview', props: { screen_name: 'Cart', firebase_screen_class: 'CartActivity' } },
    });
    // Pulse's own name is Pulse's meaning: a pageview, which needs a url.
    expect(t({ name: 'pageview' })).toEqual({ event: { name: 'pageview' } });
  });

  it('turns a purchase into an event with revenue from value and currency (upper-cased), its id from transaction_id', () => {
    const items = [{ item_id: 'SKU_1', item_name: 'Shirt', price: 24.95, quantity: 2 }];
    expect(t({ name: 'purchase', params: { transaction_id: 'T-1001', value: 49.9, currency: 'eur', tax: 4.9, items } })).toEqual({
      event: { name: 'purchase', id: 'ga4-purchase-T-1001', revenue: { amount: 49.9, currency: 'EUR' }, props: { transaction_id: 'T-1001', tax: 4.9, items: JSON.stringify(items) } },
    });
    expect(t({ name: 'purchase', params: { transaction_id: 7, value: '12.50', currency: 'USD' } })).toEqual({
      event: { name: 'purchase', id: 'ga4-purchase-7', revenue: { amount: 12.5, currency: 'USD' }, props: { transaction_id: 7 } },
    });
    // GA requires currency with value: passed on without one, for validation to refuse (invalid_type:revenue.currency).
    expect(t({ name: 'purchase', params: { value: 10 } })).toEqual({ event: { name: 'purchase', revenue: { amount: 10, currency: undefined } } });
    expect(t({ name: 'purchase', params: { value: 'ten', currency: 'EUR' } })).toEqual({ event: { name: 'purchase', revenue: { amount: 'ten', currency: 'EUR' } } });
    // No value: no revenue, the currency stays a prop.
    expect(t({ name: 'purchase', params: { currency: 'EUR', value: null } })).toEqual({ event: { name: 'purchase', props: { currency: 'EUR' } } });
    // An id that would be over 128 characters is not made: the purchase keeps a generated one rather than be refused.
    const long = 'x'.repeat(116);
    expect(t({ name: 'purchase', params: { transaction_id: long } })).toEqual({ event: { name: 'purchase', props: { transaction_id: long } } });
    expect(t({ name: 'purchase', params: { transaction_id: long.slice(1) } })).toMatchObject({ event: { id: `ga4-purchase-${long.slice(1)}` } });
  });

  it('turns a refund into negative revenue, and leaves value and currency of other events as props', () => {
    expect(t({ name: 'refund', params: { transaction_id: 'T-1', value: 30, currency: 'EUR' } })).toEqual({
      event: { name: 'refund', revenue: { amount: -30, currency: 'EUR' }, props: { transaction_id: 'T-1' } },
    });
    expect(t({ name: 'refund', params: { value: -30, currency: 'EUR' } })).toEqual({ event: { name: 'refund', revenue: { amount: -30, currency: 'EUR' } } });
    const zero = t({ name: 'refund', params: { value: 0, currency: 'EUR' } });
    expect(Object.is((zero as { event: { revenue: { amount: number } } }).event.revenue.amount, 0)).toBe(true);
    expect(t({ name: 'add_to_cart', params: { value: 24.95, currency: 'EUR' } })).toEqual({ event: { name: 'add_to_cart', props: { value: 24.95, currency: 'EUR' } } });
  });

  it("ignores GA's automatically collected events, whatever they carry", () => {
    for (const name of ['session_start', 'first_visit', 'first_open', 'user_engagement']) {
      expect(t({ name, params: 'not an object', timestamp_micros: 'soon' })).toEqual({ ignored: true });
    }
    expect(t({ name: 'Session_Start' })).toEqual({ event: { name: 'Session_Start' } });
  });

  it("takes the event's timestamp_micros over the request's, and refuses one that is no time", () => {
    const body = { timestamp_micros: micros(NOW - 5_000) };
    const at = (ev: Record<string, unknown>, b: Record<string, unknown> = body) => {
      const r = t({ name: 'e', ...ev }, b);
      return 'event' in r ? r.event.ts : r;
    };
    expect(at({})).toBe(NOW - 5_000);
    expect(at({ timestamp_micros: micros(NOW - 9_000) })).toBe(NOW - 9_000);
    expect(at({ timestamp_micros: String(micros(NOW - 9_000)) })).toBe(NOW - 9_000);
    expect(at({}, {})).toBeUndefined();
    expect(at({ timestamp_micros: 'yesterday' })).toEqual({ reason: 'invalid_type:timestamp_micros' });
    expect(at({ timestamp_micros: -1 })).toEqual({ reason: 'invalid_value:timestamp_micros' });
    expect(at({}, { timestamp_micros: { t: 1 } })).toEqual({ reason: 'invalid_type:timestamp_micros' });
    // A bad request time matters only to events without their own.
    expect(at({ timestamp_micros: micros(NOW) }, { timestamp_micros: 0 })).toBe(NOW);
  });

  it('reads session ids and client ids that are numbers as text, and passes other types on for validation to name', () => {
    expect(t({ name: 'e', params: { session_id: '1714564800' } }, { client_id: 1234.5678 })).toEqual({ event: { name: 'e', visitor_id: '1234.5678', session_id: '1714564800' } });
    expect(t({ name: 'e', params: { session_id: '' } })).toEqual({ event: { name: 'e' } });
    expect(t({ name: 'e', params: { session_id: { id: 1 } } }, { client_id: ['c'] })).toEqual({ event: { name: 'e', visitor_id: ['c'], session_id: { id: 1 } } });
  });

  it('adds user_properties as user.<name> props, an event param winning over a user property of the same key', () => {
    const body = {
      user_properties: {
        tier: { value: 'gold' },
        ltv: { value: 120.5, set_timestamp_micros: micros(NOW) },
        plain: 'taken as the value',
        unset: { value: null },
        prefs: { value: { theme: 'dark' } },
      },
    };
    expect(t({ name: 'e', params: { a: 1, 'user.tier': 'own' } }, body)).toEqual({
      event: { name: 'e', props: { a: 1, 'user.tier': 'own', 'user.ltv': 120.5, 'user.plain': 'taken as the value', 'user.prefs.theme': 'dark' } },
    });
    // User properties Pulse cannot take refuse every event, with validation's reasons.
    expect(t({ name: 'e' }, { user_properties: ['gold'] })).toEqual({ reason: 'invalid_type:user_properties' });
    expect(t({ name: 'e' }, { user_properties: { ['n'.repeat(60)]: { value: 1 } } })).toEqual({ reason: `invalid_prop_key:user.${'n'.repeat(59)}` });
  });

  it("flattens params as Segment's properties are: nested keys dotted, arrays (GA's items) as JSON or left out over 1024 characters, nulls dropped", () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ item_id: `SKU_${i}`, item_name: 'A product with a name', price: 9.99 }));
    expect(JSON.stringify(items).length).toBeGreaterThan(MAX_STRING_LENGTH);
    expect(t({ name: 'view_cart', params: { items, coupon: null, shipping: { tier: 'ground', cost: 4.5 }, tags: ['a'] } })).toEqual({
      event: { name: 'view_cart', props: { 'shipping.tier': 'ground', 'shipping.cost': 4.5, tags: '["a"]' } },
    });
    expect(t({ name: 'e', params: { ['k'.repeat(65)]: 1 } })).toEqual({ reason: `invalid_prop_key:${'k'.repeat(64)}` });
  });

  it('takes language and screen width from params, else the request device; widths only when they parse', () => {
    const body = { device: { language: 'en-gb', screen_resolution: '1280x800' } };
    expect(t({ name: 'e' }, body)).toEqual({ event: { name: 'e', lang: 'en-gb', screen_width: 1280 } });
    expect(t({ name: 'e', params: { language: 'nl', screen_resolution: '390X844' } }, body)).toEqual({ event: { name: 'e', lang: 'nl', screen_width: 390 } });
    for (const screen_resolution of ['wide', '1920', '1920x', '200000x1', 1920, 'x1080']) {
      expect(t({ name: 'e', params: { screen_resolution } })).toEqual({ event: { name: 'e' } });
    }
    const longUrl = `https://shop.example/${'x'.repeat(2_000)}`;
    expect(t({ name: 'page_view', params: { page_location: longUrl, page_title: 5, language: '' } })).toEqual({ event: { name: 'pageview', url: longUrl.slice(0, MAX_STRING_LENGTH) } });
  });

  it('refuses garbage with a reason and passes names on for validation to judge', () => {
    for (const ev of [null, 'page_view', 5, [{ name: 'x' }]]) expect(translateGa4Event(ev, bare)).toEqual({ reason: 'not_an_object' });
    expect(translateGa4Event({ name: 'e', params: ['a'] }, bare)).toEqual({ reason: 'invalid_type:params' });
    expect(translateGa4Event({ name: 'e', params: 'a=b' }, bare)).toEqual({ reason: 'invalid_type:params' });
    expect(translateGa4Event({ params: {} }, bare)).toEqual({ event: { name: undefined } });
    expect(translateGa4Event({ name: 7 }, bare)).toEqual({ event: { name: 7 } });
  });
});
