import { describe, expect, it } from 'vitest';
import { BodyError, DEFAULT_MAX_EVENT_AGE_MS } from '@pulse/protocol';
import type { TranslatedOptions } from '../compat/translated.js';
import { oversizeBodyMessage, unreadableBodyMessage, validationMessages } from './validation.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const opts: TranslatedOptions = { receivedAt: NOW, maxEventAgeMs: DEFAULT_MAX_EVENT_AGE_MS, idAt: (i) => `gen.${i}` };
const micros = (ms: number) => ms * 1000;

describe('validationMessages', () => {
  it('says nothing of a request /mp/collect would take whole', () => {
    const body = {
      client_id: 'c',
      events: [
        { name: 'page_view', params: { page_location: 'https://shop.example/' } },
        { name: 'purchase', params: { value: 1, currency: 'EUR', items: [{ item_id: 'a' }] } },
      ],
    };
    expect(validationMessages(body, opts)).toEqual([]);
  });

  it('names the GA4 field, code and Pulse reason of each refused event, and the events Pulse does not store, by index', () => {
    const events = [
      { name: 'page_view', params: { page_title: 'No location' } },
      { name: 'session_start' },
      { name: 'purchase', params: { value: 10 } },
      { name: 'purchase', params: { value: 10, currency: 'euro' } },
      { name: 'purchase', params: { value: 10, currency: 7 } },
      { name: 'purchase', params: { value: 'ten', currency: 'EUR' } },
      { name: 'fine' },
      { name: 'old', timestamp_micros: micros(NOW - 8 * 86_400_000) },
      { name: 'future' },
      { name: 'many', params: { bag: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i])) } },
      { name: 'long', params: { note: { text: 'y'.repeat(1_025) } } },
      'garbage',
      { params: {} },
      { name: 'page_view', params: { page_location: 'file:///a.html' } },
      { name: 'e', params: [] },
    ];
    const body = { client_id: 'c', timestamp_micros: micros(NOW + 10 * 60_000), events: events.map((e, i) => (i === 8 || typeof e !== 'object' ? e : { timestamp_micros: micros(NOW), ...e })) };
    expect(validationMessages(body, opts)).toEqual([
      { fieldPath: 'events.params.page_location', validationCode: 'VALUE_REQUIRED', description: 'Event at index: [0] is refused (pageview_without_url): a page_view needs page_location.' },
      {
        fieldPath: 'events.name',
        validationCode: 'NAME_RESERVED',
        description: 'Event at index: [1] has name [session_start], an event Pulse derives from the others: it is not stored.',
      },
      { fieldPath: 'events.params.currency', validationCode: 'VALUE_REQUIRED', description: 'Event at index: [2] is refused (invalid_type:revenue.currency): currency is required with value.' },
      {
        fieldPath: 'events.params.currency',
        validationCode: 'VALUE_INVALID',
        description: 'Event at index: [3] is refused (invalid_value:revenue.currency): currency is a 3-letter ISO 4217 code.',
      },
      {
        fieldPath: 'events.params.currency',
        validationCode: 'VALUE_INVALID',
        description: 'Event at index: [4] is refused (invalid_type:revenue.currency): currency is a 3-letter ISO 4217 code.',
      },
      { fieldPath: 'events.params.value', validationCode: 'VALUE_INVALID', description: 'Event at index: [5] is refused (invalid_type:revenue.amount): value is a number.' },
      {
        fieldPath: 'events.timestamp_micros',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
        description: 'Event at index: [7] is refused (too_old): the time is further back than Pulse keeps events (timestamp_micros is in microseconds).',
      },
      {
        fieldPath: 'timestamp_micros',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
        description: 'Event at index: [8] is refused (too_far_in_future): the time is more than 5 minutes ahead (timestamp_micros is in microseconds).',
      },
      {
        fieldPath: 'events.params',
        validationCode: 'EXCEEDED_MAX_ENTITIES',
        description: 'Event at index: [9] is refused (too_many_props): at most 64 params and user properties an event, after flattening nested ones.',
      },
      {
        fieldPath: 'events.params.note.text',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
        description: 'Event at index: [10] is refused (invalid_prop_value:note.text): a value holds at most 1024 characters.',
      },
      { fieldPath: 'events', validationCode: 'VALUE_INVALID', description: 'Event at index: [11] is refused (not_an_object): an event is an object {name, params}.' },
      { fieldPath: 'events.name', validationCode: 'VALUE_REQUIRED', description: 'Event at index: [12] is refused (missing_name): an event needs a name.' },
      {
        fieldPath: 'events.params.page_location',
        validationCode: 'VALUE_INVALID',
        description: "Event at index: [13] is refused (invalid_url:url): a page_view's page_location is an http(s) URL or a path starting with /.",
      },
      { fieldPath: 'events.params', validationCode: 'VALUE_INVALID', description: 'Event at index: [14] is refused (invalid_type:params): params is an object.' },
    ]);
  });

  it('names the request field a shared problem comes from: client_id, app_instance_id, timestamp_micros, user_properties', () => {
    const one = [{ name: 'e' }];
    expect(validationMessages({ client_id: 'c'.repeat(1_025), events: one }, opts)).toEqual([
      { fieldPath: 'client_id', validationCode: 'VALUE_OUT_OF_BOUNDS', description: 'Event at index: [0] is refused (too_long:visitor_id): an id is text (or a number) of at most 1024 characters.' },
    ]);
    expect(validationMessages({ app_instance_id: { id: 1 }, events: one }, opts)).toEqual([
      { fieldPath: 'app_instance_id', validationCode: 'VALUE_INVALID', description: 'Event at index: [0] is refused (invalid_type:visitor_id): an id is text (or a number) of at most 1024 characters.' },
    ]);
    expect(validationMessages({ client_id: 'c', timestamp_micros: 'now', events: one }, opts)).toEqual([
      {
        fieldPath: 'timestamp_micros',
        validationCode: 'VALUE_INVALID',
        description: 'Event at index: [0] is refused (invalid_type:timestamp_micros): timestamp_micros is a positive number of microseconds since the epoch.',
      },
    ]);
    // Nested values (Pulse's extension, past GA's rules) meet Pulse's limits.
    expect(validationMessages({ client_id: 'c', user_properties: { prefs: { value: { ['n'.repeat(60)]: 1 } } }, events: one }, opts)).toEqual([
      {
        fieldPath: 'user_properties',
        validationCode: 'NAME_INVALID',
        description: `Event at index: [0] is refused (invalid_prop_key:user.prefs.${'n'.repeat(53)}): a user property name (user. and the path of nested names) holds at most 64 characters.`,
      },
    ]);
    expect(validationMessages({ client_id: 'c', user_properties: { bio: { value: { text: 'b'.repeat(1_025) } } }, events: one }, opts)).toEqual([
      {
        fieldPath: 'user_properties.bio.text',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
        description: 'Event at index: [0] is refused (invalid_prop_value:user.bio.text): a value holds at most 1024 characters.',
      },
    ]);
  });

  it("lists every GA rule a refused event breaks, in GA's words, its user properties' on each event", () => {
    const body = {
      client_id: 'c',
      user_properties: { ga_tier: { value: 'gold' } },
      events: [{ name: '_badEventName', params: { note: 'n'.repeat(101) } }, { name: 'first_visit' }, { name: 'fine' }],
    };
    expect(validationMessages(body, opts)).toEqual([
      {
        fieldPath: 'events',
        validationCode: 'NAME_INVALID',
        description: 'Event at index: [0] has invalid name [_badEventName]. Names must start with an alphabetic character. Refused (ga4_name_invalid:name).',
      },
      {
        fieldPath: 'events.params.note',
        validationCode: 'VALUE_OUT_OF_BOUNDS',
        description: 'Event at index: [0] has param [note] with a value over 100 characters. Its values must be 100 characters or fewer. Refused (ga4_value_out_of_bounds:params.note).',
      },
      {
        fieldPath: 'user_properties.ga_tier',
        validationCode: 'NAME_RESERVED',
        description: 'Event at index: [0] has invalid user property name [ga_tier]. Names may not start with ga_. Refused (ga4_name_reserved:user_properties.ga_tier).',
      },
      {
        fieldPath: 'events.name',
        validationCode: 'NAME_RESERVED',
        description: 'Event at index: [1] has name [first_visit], an event Pulse derives from the others: it is not stored.',
      },
      {
        fieldPath: 'user_properties.ga_tier',
        validationCode: 'NAME_RESERVED',
        description: 'Event at index: [2] has invalid user property name [ga_tier]. Names may not start with ga_. Refused (ga4_name_reserved:user_properties.ga_tier).',
      },
    ]);
  });

  it('answers one message for a body that is no GA4 request', () => {
    expect(validationMessages([1], opts)).toEqual([
      { fieldPath: '', validationCode: 'VALUE_INVALID', description: 'a GA4 Measurement Protocol body is a JSON object {client_id, events: [...]}.' },
    ]);
    expect(validationMessages({ client_id: 'c' }, opts)).toEqual([{ fieldPath: 'events', validationCode: 'VALUE_REQUIRED', description: 'events is required.' }]);
    expect(validationMessages({ client_id: 'c', events: Array.from({ length: 26 }, () => ({ name: 'e' })) }, opts)).toEqual([
      { fieldPath: 'events', validationCode: 'EXCEEDED_MAX_ENTITIES', description: 'a request holds at most 25 events, got 26.' },
    ]);
  });
});

describe('unreadableBodyMessage', () => {
  it("words a body that is not JSON as GA's validation server does", () => {
    expect(unreadableBodyMessage(new BodyError('invalid_json', 'body is not valid JSON: Unexpected end'))).toEqual({
      fieldPath: '',
      validationCode: 'VALUE_INVALID',
      description: 'Unable to parse the body as JSON: body is not valid JSON: Unexpected end',
    });
  });
});

describe('oversizeBodyMessage', () => {
  it("names GA's body limit", () => {
    expect(oversizeBodyMessage(140_000)).toEqual({
      fieldPath: '',
      validationCode: 'VALUE_OUT_OF_BOUNDS',
      description: 'The post body must be smaller than 130kB (133120 bytes), got 140000 bytes.',
    });
  });
});
