import { describe, expect, it } from 'vitest';
import { eventViolations, isGa4RuleReason, userPropertyViolations, violationMessage } from './rules.js';

const messages = (ev: unknown) => eventViolations(ev).map((v) => violationMessage(0, v));
const codes = (ev: unknown) => eventViolations(ev).map((v) => [v.fieldPath, v.validationCode, v.reason]);
const params = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));

describe('eventViolations', () => {
  it("answers Google's own example (validating-events) as the validation server does", () => {
    expect(messages({ name: '_badEventName', params: {} })).toEqual([
      {
        fieldPath: 'events',
        validationCode: 'NAME_INVALID',
        description: 'Event at index: [0] has invalid name [_badEventName]. Names must start with an alphabetic character. Refused (ga4_name_invalid:name).',
      },
    ]);
  });

  it("passes Google's own example requests (sending-events, user-properties)", () => {
    expect(eventViolations({ name: 'login', params: { method: 'Google', session_id: 'SESSION_ID', engagement_time_msec: 100 } })).toEqual([]);
    expect(
      eventViolations({
        name: 'campaign_details',
        params: { campaign_id: 'google_1234', campaign: 'Summer_fun', source: 'google', medium: 'cpc', term: 'summer+travel', content: 'logolink', session_id: '123', engagement_time_msec: '100' },
      }),
    ).toEqual([]);
    expect(eventViolations({ name: 'tutorial_begin' })).toEqual([]);
    expect(userPropertyViolations({ customer_tier: { value: 'premium' } })).toEqual([]);
  });

  it('takes event names of at most 40 letters (any language), digits and underscores, starting with a letter', () => {
    for (const name of ['a', 'e'.repeat(40), 'My_Event', 'purchase2', 'évènement_été', '注文_完了', 'page_view', 'screen_view', 'click', 'scroll'])
      expect([name, eventViolations({ name })]).toEqual([name, []]);
    expect(codes({ name: 'e'.repeat(41) })).toEqual([['events', 'NAME_INVALID', 'ga4_name_invalid:name']]);
    for (const name of ['1st_event', '_internal', ' lead', 'sign up', 'add-to-cart', 'gtag.config', 'x!']) expect([name, codes({ name })]).toEqual([name, [['events', 'NAME_INVALID', 'ga4_name_invalid:name']]]);
    // A name that is no text, or empty, is left to Pulse's validation (invalid_type:name, missing_name).
    for (const name of [undefined, '', 7]) expect(eventViolations({ name })).toEqual([]);
  });

  it('refuses reserved event names and prefixes', () => {
    for (const name of ['error', 'app_remove', 'ad_click', 'os_update', 'session_start_with_rollout', 'firebase_campaign', 'google_signal', 'ga_custom']) {
      expect([name, codes({ name })]).toEqual([name, [['events', 'NAME_RESERVED', 'ga4_name_reserved:name']]]);
    }
    expect(messages({ name: 'ga_custom' })[0]?.description).toBe('Event at index: [0] has invalid name [ga_custom]. Names may not start with ga_. Refused (ga4_name_reserved:name).');
    // Reserved only whole: names merely starting like one are the sender's own.
    expect(eventViolations({ name: 'errors_seen' })).toEqual([]);
    expect(eventViolations({ name: 'ad_campaign_view' })).toEqual([]);
  });

  it('takes at most 25 params, named as events are, each value at most 100 characters (page_location 1000, page_referrer 420, page_title 300)', () => {
    expect(eventViolations({ name: 'e', params: params(25) })).toEqual([]);
    // Nulls are no params (Pulse drops them).
    expect(eventViolations({ name: 'e', params: { ...params(25), gone: null } })).toEqual([]);
    expect(codes({ name: 'e', params: params(26) })).toEqual([['events.params', 'EXCEEDED_MAX_ENTITIES', 'ga4_exceeded_max_entities:params']]);
    expect(codes({ name: 'e', params: { ['k'.repeat(41)]: 1, '2nd': 1, 'a.b': 1, firebase_conversion: 1, _x: 1 } })).toEqual([
      [`events.params.${'k'.repeat(41)}`, 'NAME_INVALID', `ga4_name_invalid:params.${'k'.repeat(41)}`],
      ['events.params.2nd', 'NAME_INVALID', 'ga4_name_invalid:params.2nd'],
      ['events.params.a.b', 'NAME_INVALID', 'ga4_name_invalid:params.a.b'],
      ['events.params.firebase_conversion', 'NAME_RESERVED', 'ga4_name_reserved:params.firebase_conversion'],
      ['events.params._x', 'NAME_INVALID', 'ga4_name_invalid:params._x'],
    ]);
    const atLimit = { note: 'n'.repeat(100), page_location: `https://shop.example/${'p'.repeat(979)}`, page_referrer: 'r'.repeat(420), page_title: 't'.repeat(300) };
    expect(atLimit.page_location).toHaveLength(1000);
    expect(eventViolations({ name: 'page_view', params: atLimit })).toEqual([]);
    const over = { note: 'n'.repeat(101), page_location: `${atLimit.page_location}/`, page_referrer: 'r'.repeat(421), page_title: 't'.repeat(301), count: 10 ** 120 };
    expect(messages({ name: 'page_view', params: over })).toEqual([
      { fieldPath: 'events.params.note', validationCode: 'VALUE_OUT_OF_BOUNDS', description: 'Event at index: [0] has param [note] with a value over 100 characters. Its values must be 100 characters or fewer. Refused (ga4_value_out_of_bounds:params.note).' },
      expect.objectContaining({ fieldPath: 'events.params.page_location', validationCode: 'VALUE_OUT_OF_BOUNDS' }),
      expect.objectContaining({ fieldPath: 'events.params.page_referrer', validationCode: 'VALUE_OUT_OF_BOUNDS' }),
      expect.objectContaining({ fieldPath: 'events.params.page_title', description: expect.stringContaining('must be 300 characters or fewer') }),
    ]);
    // Characters, not UTF-16 units: 100 emoji are 100 characters.
    expect(eventViolations({ name: 'e', params: { mood: '😀'.repeat(100) } })).toEqual([]);
    expect(codes({ name: 'e', params: { mood: '😀'.repeat(101) } })).toEqual([['events.params.mood', 'VALUE_OUT_OF_BOUNDS', 'ga4_value_out_of_bounds:params.mood']]);
  });

  it('applies the param rules to item params, and leaves nested params (a Pulse extension) to Pulse', () => {
    const items = [{ item_id: 'SKU_1', item_name: 'n'.repeat(100), price: 9.99 }, 'not an item', { item_name: 'n'.repeat(101), 'bad-key': 1 }];
    expect(messages({ name: 'purchase', params: { items } })).toEqual([
      {
        fieldPath: 'events.params.items.item_name',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
        description: 'Event at index: [0] has item param [item_name] in item [2] with a value over 100 characters. Item param values must be 100 characters or fewer. Refused (ga4_value_out_of_bounds:params.items.item_name).',
      },
      expect.objectContaining({ fieldPath: 'events.params.items.bad-key', validationCode: 'NAME_INVALID' }),
    ]);
    expect(eventViolations({ name: 'e', params: { context: { 'any key': 'v'.repeat(500) } } })).toEqual([]);
  });

  it('bounds the key a reason names', () => {
    const key = 'k'.repeat(500);
    expect(eventViolations({ name: 'e', params: { [key]: 1 } })[0]?.reason).toBe(`ga4_name_invalid:params.${'k'.repeat(64)}`);
  });
});

describe('userPropertyViolations', () => {
  it('takes at most 25 user properties, names of at most 24 characters, values of at most 36', () => {
    const many = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`up${i}`, { value: i }]));
    expect(userPropertyViolations(many).map((v) => [v.fieldPath, v.validationCode, v.reason])).toEqual([
      ['user_properties', 'EXCEEDED_MAX_ENTITIES', 'ga4_exceeded_max_entities:user_properties'],
    ]);
    expect(userPropertyViolations({ ['n'.repeat(24)]: { value: 'v'.repeat(36) }, bare: 'v'.repeat(36) })).toEqual([]);
    expect(userPropertyViolations({ ['n'.repeat(25)]: { value: 1 }, tier: { value: 'v'.repeat(37) }, bare: 'v'.repeat(37), gone: null }).map((v) => [v.fieldPath, v.validationCode])).toEqual([
      [`user_properties.${'n'.repeat(25)}`, 'NAME_INVALID'],
      ['user_properties.tier', 'VALUE_OUT_OF_BOUNDS'],
      ['user_properties.bare', 'VALUE_OUT_OF_BOUNDS'],
    ]);
  });

  it('refuses reserved user property names and prefixes', () => {
    for (const name of ['first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install', 'google_x', 'ga_x', 'firebase_x']) {
      expect([name, userPropertyViolations({ [name]: { value: 1 } }).map((v) => v.reason)]).toEqual([name, [`ga4_name_reserved:user_properties.${name}`]]);
    }
    expect(userPropertyViolations({ _hidden: { value: 1 } }).map((v) => v.validationCode)).toEqual(['NAME_INVALID']);
    // Not an object: Pulse's own reason (invalid_type:user_properties).
    expect(userPropertyViolations(['gold'])).toEqual([]);
  });
});

describe('isGa4RuleReason', () => {
  it("tells GA's rules from Pulse's reasons", () => {
    expect(isGa4RuleReason('ga4_name_invalid:name')).toBe(true);
    expect(isGa4RuleReason('too_many_props')).toBe(false);
  });
});
