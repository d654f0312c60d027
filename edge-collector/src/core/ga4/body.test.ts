import { bodyError } from '../route-test-kit.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_AGE_MS } from '@pulse/protocol';
import type { TranslatedOptions } from '../compat/translated.js';
import { GA4_MAX_EVENTS, deadLetterRequest, ga4BodyProblem, readGa4Body } from './body.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const opts: TranslatedOptions = { receivedAt: NOW, maxEventAgeMs: DEFAULT_MAX_EVENT_AGE_MS, idAt: (i) => `gen.${i}` };
const micros = (ms: number) => ms * 1000;

describe('readGa4Body', () => {
  it('translates and validates the events with their GA4 indexes, ignored ones listed, ids for events without one', () => {
    const events = [
      { name: 'session_start', params: { session_id: 1 } },
      { name: 'page_view', params: { page_location: 'https://shop.example/', session_id: 1_714_564_800, engagement_time_msec: 1 } },
      { name: 'purchase', params: { transaction_id: 'T-1', value: 20, currency: 'usd' } },
      { name: 'page_view', params: { page_title: 'No location' } },
      'garbage',
      { name: 'tutorial_begin', timestamp_micros: micros(NOW - 2_000) },
      { name: 'user_engagement', params: { engagement_time_msec: 3000 } },
    ];
    const r = readGa4Body({ client_id: 'c-1', timestamp_micros: micros(NOW - 1_000), events }, opts);
    expect(r.ignored).toEqual([0, 6]);
    expect(r.rejected).toEqual([
      { index: 3, reason: 'pageview_without_url' },
      { index: 4, reason: 'not_an_object' },
    ]);
    expect(r.accepted).toEqual([
      { id: 'gen.1', name: 'pageview', ts: NOW - 1_000, url: 'https://shop.example/', visitor_id: 'c-1', session_id: '1714564800' },
      { id: 'ga4-purchase-T-1', name: 'purchase', ts: NOW - 1_000, visitor_id: 'c-1', revenue: { amount: 20, currency: 'USD' }, props: { transaction_id: 'T-1' } },
      { id: 'gen.5', name: 'tutorial_begin', ts: NOW - 2_000, visitor_id: 'c-1' },
    ]);
    expect(r.events).toBe(events);
  });

  it("applies the event limits of Pulse's own validation, with its reasons, to what GA's rules let through (nested params)", () => {
    const params65 = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i]));
    const heavy = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, 'x'.repeat(1_000)]));
    const events = [
      { name: 'ok', params: { note: { text: 'y'.repeat(1_024) } } },
      { name: 'long_value', params: { note: { text: 'y'.repeat(1_025) } } },
      { name: 'many', params: { bag: params65 } },
      // GA's 40 characters come before Pulse's 1024.
      { name: 'e'.repeat(1_025) },
      { name: 'heavy', params: { bag: heavy } },
      { name: 'old', timestamp_micros: micros(NOW - 8 * 86_400_000) },
      { name: 'future', timestamp_micros: micros(NOW + 10 * 60_000) },
      { name: 'page_view', params: { page_location: 'file:///home/me/a.html' } },
      { name: 'purchase', params: { value: 10 } },
      { name: 'purchase', params: { value: 10, currency: 'euro' } },
      { name: 'purchase', params: { value: 'ten', currency: 'EUR' } },
      { params: {} },
      { name: 'refund', params: { value: 5, currency: 'EUR' } },
    ];
    const r = readGa4Body({ client_id: 'c', events }, opts);
    expect(r.rejected).toEqual([
      { index: 1, reason: 'invalid_prop_value:note.text' },
      { index: 2, reason: 'too_many_props' },
      { index: 3, reason: 'ga4_name_invalid:name' },
      { index: 4, reason: 'event_too_large' },
      { index: 5, reason: 'too_old' },
      { index: 6, reason: 'too_far_in_future' },
      { index: 7, reason: 'invalid_url:url' },
      { index: 8, reason: 'invalid_type:revenue.currency' },
      { index: 9, reason: 'invalid_value:revenue.currency' },
      { index: 10, reason: 'invalid_type:revenue.amount' },
      { index: 11, reason: 'missing_name' },
    ]);
    expect(r.accepted.map((e) => [e.name, e.revenue])).toEqual([
      ['ok', undefined],
      ['refund', { amount: -5, currency: 'EUR' }],
    ]);
    // A client id over the string limit refuses every event it names.
    expect(readGa4Body({ client_id: 'c'.repeat(1_025), events: [{ name: 'a' }, { name: 'b' }] }, opts).rejected).toEqual([
      { index: 0, reason: 'too_long:visitor_id' },
      { index: 1, reason: 'too_long:visitor_id' },
    ]);
  });

  it("refuses an event breaking one of GA's rules with the first one's reason, before translating it; GA's automatic events stay ignored", () => {
    const events = [
      { name: '_badEventName', params: {} },
      { name: 'error' },
      { name: 'page_view', params: { page_location: 'https://shop.example/', page_title: 't'.repeat(301) } },
      { name: 'big_cart', params: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`p${i}`, i])) },
      { name: 'session_start' },
      { name: 'fine', params: { plan: 'pro' } },
      // Broken twice: the first rule found is the reason.
      { name: '1bad', params: { 'bad key': 1 } },
    ];
    const r = readGa4Body({ client_id: 'c', events }, opts);
    expect(r.rejected).toEqual([
      { index: 0, reason: 'ga4_name_invalid:name' },
      { index: 1, reason: 'ga4_name_reserved:name' },
      { index: 2, reason: 'ga4_value_out_of_bounds:params.page_title' },
      { index: 3, reason: 'ga4_exceeded_max_entities:params' },
      { index: 6, reason: 'ga4_name_invalid:name' },
    ]);
    expect(r.ignored).toEqual([4]);
    expect(r.accepted.map((e) => [e.id, e.name])).toEqual([['gen.5', 'fine']]);
    // A user property breaking a rule reaches every event of the request, as it would be stored on each.
    const shared = readGa4Body({ client_id: 'c', user_properties: { user_id: { value: 'u' } }, events: [{ name: 'a' }, { name: 'session_start' }, { name: 'b' }] }, opts);
    expect(shared.rejected).toEqual([
      { index: 0, reason: 'ga4_name_reserved:user_properties.user_id' },
      { index: 2, reason: 'ga4_name_reserved:user_properties.user_id' },
    ]);
    expect(shared.ignored).toEqual([1]);
  });

  it('takes at most 25 events, and an empty list', () => {
    const events = Array.from({ length: GA4_MAX_EVENTS }, (_, i) => ({ name: `e${i}` }));
    expect(readGa4Body({ client_id: 'c', events }, opts).accepted).toHaveLength(25);
    expect(bodyError(() => readGa4Body({ client_id: 'c', events: [...events, { name: 'one more' }] }, opts))).toEqual({ code: 'too_many_events', status: 413 });
    expect(readGa4Body({ client_id: 'c', events: [] }, opts)).toEqual({ accepted: [], rejected: [], ignored: [], events: [] });
  });

  it('refuses bodies that are no GA4 request as a whole', () => {
    for (const body of [null, 'events', [{ name: 'e' }], { client_id: 'c' }, { events: null }, { events: { name: 'e' } }, { events: 'page_view' }]) {
      expect([body, bodyError(() => readGa4Body(body, opts))]).toEqual([body, { code: 'not_a_batch', status: 400 }]);
    }
  });
});

describe('ga4BodyProblem', () => {
  it("names the GA4 field and validation code of a body's problem", () => {
    expect(ga4BodyProblem({ events: [] })).toBeUndefined();
    expect(ga4BodyProblem([])).toMatchObject({ code: 'not_a_batch', fieldPath: '', validationCode: 'VALUE_INVALID' });
    expect(ga4BodyProblem({})).toMatchObject({ code: 'not_a_batch', fieldPath: 'events', validationCode: 'VALUE_REQUIRED' });
    expect(ga4BodyProblem({ events: 5 })).toMatchObject({ code: 'not_a_batch', fieldPath: 'events', validationCode: 'VALUE_INVALID' });
    expect(ga4BodyProblem({ events: new Array(26).fill({}) })).toEqual({
      code: 'too_many_events',
      fieldPath: 'events',
      validationCode: 'EXCEEDED_MAX_ENTITIES',
      message: 'a request holds at most 25 events, got 26',
    });
  });
});

describe('deadLetterRequest', () => {
  it('keeps the request fields without events, ip_override and user_data, leaving the body alone', () => {
    const body = {
      client_id: 'c',
      user_id: 'u',
      timestamp_micros: 1,
      user_properties: { tier: { value: 'gold' } },
      ip_override: '203.0.113.9',
      user_data: { sha256_email_address: ['ab12'] },
      user_location: { country_id: 'DE' },
      events: [{ name: 'e' }],
    };
    expect(deadLetterRequest(body)).toEqual({ client_id: 'c', user_id: 'u', timestamp_micros: 1, user_properties: { tier: { value: 'gold' } }, user_location: { country_id: 'DE' } });
    expect(body.ip_override).toBe('203.0.113.9');
    expect(body.events).toHaveLength(1);
  });
});
