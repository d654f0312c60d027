import { describe, expect, it } from 'vitest';
import { validateBatch, validateEvent, utf8Length } from './validate.js';
import {
  DEFAULT_MAX_EVENT_AGE_MS,
  MAX_EVENT_FUTURE_MS,
  MAX_EVENTS_PER_BATCH,
  MAX_ID_LENGTH,
  MAX_PROP_KEY_LENGTH,
  MAX_PROPS,
  MAX_STRING_LENGTH,
} from './limits.js';
import { BodyError } from './errors.js';

const NOW = 1_764_169_200_000;
let n = 0;
const opts = { receivedAt: NOW, newId: () => `gen-${++n}` };
const reason = (raw: unknown, sentAt?: number) => {
  const r = validateEvent(raw, sentAt, opts);
  return 'reason' in r ? r.reason : undefined;
};
const ok = (raw: unknown, sentAt?: number) => {
  const r = validateEvent(raw, sentAt, opts);
  if ('reason' in r) throw new Error(`rejected: ${r.reason}`);
  return r.event;
};

describe('validateEvent', () => {
  it('accepts a full pageview and copies only known fields', () => {
    const e = ok({
      id: 'a', name: 'pageview', ts: NOW - 1000, url: 'https://x.test/a', referrer: 'https://r.test/', title: 'T',
      visitor_id: 'v', session_id: 's', user_id: 'u', lang: 'en', screen_width: 1280,
      props: { a: 'b', n: 1, t: true }, revenue: { amount: 9.5, currency: 'EUR' }, unknown_field: 'dropped',
    });
    expect(e).toEqual({
      id: 'a', name: 'pageview', ts: NOW - 1000, url: 'https://x.test/a', referrer: 'https://r.test/', title: 'T',
      visitor_id: 'v', session_id: 's', user_id: 'u', lang: 'en', screen_width: 1280,
      props: { a: 'b', n: 1, t: true }, revenue: { amount: 9.5, currency: 'EUR' },
    });
  });

  it('makes an id and a receive-time ts when the client sent none', () => {
    const e = ok({ name: 'signup' });
    expect(e.id).toMatch(/^gen-/);
    expect(e.ts).toBe(NOW);
  });

  it.each([
    [null, 'not_an_object'],
    [[], 'not_an_object'],
    ['pageview', 'not_an_object'],
    [42, 'not_an_object'],
    [{}, 'missing_name'],
    [{ name: '' }, 'missing_name'],
    [{ name: 5 }, 'invalid_type:name'],
    [{ name: 'x'.repeat(MAX_STRING_LENGTH + 1) }, 'too_long:name'],
    [{ name: 'pageview' }, 'pageview_without_url'],
    [{ name: 'pageview', url: '' }, 'pageview_without_url'],
    [{ name: 'e', id: 7 }, 'invalid_type:id'],
    [{ name: 'e', id: '' }, 'invalid_value:id'],
    [{ name: 'e', id: 'i'.repeat(MAX_ID_LENGTH + 1) }, 'too_long:id'],
    [{ name: 'e', ts: 'yesterday' }, 'invalid_type:ts'],
    [{ name: 'e', ts: Number.NaN }, 'invalid_type:ts'],
    [{ name: 'e', ts: Number.POSITIVE_INFINITY }, 'invalid_type:ts'],
    [{ name: 'e', ts: -5 }, 'invalid_type:ts'],
    [{ name: 'e', ts: NOW - DEFAULT_MAX_EVENT_AGE_MS - 1 }, 'too_old'],
    [{ name: 'e', ts: NOW + MAX_EVENT_FUTURE_MS + 1 }, 'too_far_in_future'],
    [{ name: 'e', url: 5 }, 'invalid_type:url'],
    [{ name: 'e', url: 'u'.repeat(MAX_STRING_LENGTH + 1) }, 'too_long:url'],
    [{ name: 'e', referrer: {} }, 'invalid_type:referrer'],
    [{ name: 'e', title: ['a'] }, 'invalid_type:title'],
    [{ name: 'e', visitor_id: 1 }, 'invalid_type:visitor_id'],
    [{ name: null }, 'invalid_type:name'],
    [{ name: 'e', revenue: { amount: null, currency: 'EUR' } }, 'invalid_type:revenue.amount'],
    [{ name: 'e', revenue: { amount: 5, currency: null } }, 'invalid_type:revenue.currency'],
    [{ name: 'pageview', url: null }, 'pageview_without_url'],
    [{ name: 'pageview', url: 'not a url' }, 'invalid_url:url'],
    [{ name: 'pageview', url: 'relative/path' }, 'invalid_url:url'],
    [{ name: 'pageview', url: '//cdn.test/x' }, 'invalid_url:url'],
    [{ name: 'pageview', url: 'file:///home/a.html' }, 'invalid_url:url'],
    [{ name: 'pageview', url: 'https://' }, 'invalid_url:url'],
    [{ name: 'e', user_id: true }, 'invalid_type:user_id'],
    [{ name: 'e', lang: 'l'.repeat(MAX_STRING_LENGTH + 1) }, 'too_long:lang'],
    [{ name: 'e', screen_width: '1280' }, 'invalid_type:screen_width'],
    [{ name: 'e', screen_width: Number.NaN }, 'invalid_type:screen_width'],
    [{ name: 'e', screen_width: 12.5 }, 'invalid_value:screen_width'],
    [{ name: 'e', screen_width: -1 }, 'invalid_value:screen_width'],
    [{ name: 'e', revenue: 5 }, 'invalid_type:revenue'],
    [{ name: 'e', revenue: { amount: '5', currency: 'EUR' } }, 'invalid_type:revenue.amount'],
    [{ name: 'e', revenue: { amount: Number.NaN, currency: 'EUR' } }, 'invalid_type:revenue.amount'],
    [{ name: 'e', revenue: { amount: 5 } }, 'invalid_type:revenue.currency'],
    [{ name: 'e', revenue: { amount: 5, currency: 'euro' } }, 'invalid_value:revenue.currency'],
    [{ name: 'e', props: [] }, 'invalid_type:props'],
    [{ name: 'e', props: 'a=b' }, 'invalid_type:props'],
    [{ name: 'e', props: { a: { nested: 1 } } }, 'invalid_prop_value:a'],
    [{ name: 'e', props: { '': null } }, 'invalid_prop_key:'],
    [{ name: 'e', props: { a: [1] } }, 'invalid_prop_value:a'],
    [{ name: 'e', props: { a: Number.NaN } }, 'invalid_prop_value:a'],
    [{ name: 'e', props: { a: 'v'.repeat(MAX_STRING_LENGTH + 1) } }, 'invalid_prop_value:a'],
    [{ name: 'e', props: { ['k'.repeat(MAX_PROP_KEY_LENGTH + 1)]: 1 } }, `invalid_prop_key:${'k'.repeat(MAX_PROP_KEY_LENGTH)}`],
    [{ name: 'e', props: { '': 1 } }, 'invalid_prop_key:'],
    [{ name: 'e', props: Object.fromEntries(Array.from({ length: MAX_PROPS + 1 }, (_, i) => [`p${i}`, i])) }, 'too_many_props'],
  ])('rejects %j as %s', (raw, expected) => {
    expect(reason(raw)).toBe(expected);
  });

  it('accepts exactly the limits', () => {
    expect(reason({ name: 'e', url: 'u'.repeat(MAX_STRING_LENGTH) })).toBeUndefined();
    expect(reason({ name: 'e', id: 'i'.repeat(MAX_ID_LENGTH) })).toBeUndefined();
    expect(reason({ name: 'e', props: Object.fromEntries(Array.from({ length: MAX_PROPS }, (_, i) => [`p${i}`, i])) })).toBeUndefined();
    expect(reason({ name: 'e', ts: NOW - DEFAULT_MAX_EVENT_AGE_MS })).toBeUndefined();
    expect(reason({ name: 'e', ts: NOW + MAX_EVENT_FUTURE_MS })).toBeUndefined();
  });

  it('rejects an event over 32 KiB even when each field is within its limit', () => {
    const props = Object.fromEntries(Array.from({ length: MAX_PROPS }, (_, i) => [`p${i}`, 'v'.repeat(MAX_STRING_LENGTH)]));
    expect(reason({ name: 'e', props })).toBe('event_too_large');
  });

  it('keeps a "__proto__" prop key as a plain own property', () => {
    const raw = JSON.parse('{"name":"e","props":{"__proto__":"x","a":"b"}}');
    const e = ok(raw);
    expect(Object.getPrototypeOf(e.props)).toBe(Object.prototype);
    expect(Object.keys(e.props ?? {})).toEqual(['__proto__', 'a']);
  });

  it('takes null in every optional field as the field absent', () => {
    const nulls = { id: null, ts: null, url: null, referrer: null, title: null, visitor_id: null, session_id: null, user_id: null, lang: null, screen_width: null, props: null, revenue: null };
    expect(ok({ name: 'e', ...nulls })).toEqual({ id: expect.stringMatching(/^gen-/), name: 'e', ts: NOW });
    expect(ok({ name: 'pageview', url: 'https://x.test/n', referrer: null })).toEqual({ id: expect.any(String), name: 'pageview', ts: NOW, url: 'https://x.test/n' });
    // A null ts with sent_at: the receive time, as without ts.
    expect(ok({ name: 'e', ts: null }, NOW - 3_600_000).ts).toBe(NOW);
  });

  it('leaves a prop whose value is null out of the props, keeping the others', () => {
    expect(ok({ name: 'e', props: { coupon: null, plan: 'pro', n: 0, f: false } }).props).toEqual({ plan: 'pro', n: 0, f: false });
    expect(ok({ name: 'e', props: { coupon: null } }).props).toEqual({});
  });

  it('takes a pageview url that is an absolute http(s) URL or a path, whatever its case or query', () => {
    for (const url of ['https://x.test/a', 'HTTP://X.TEST', '/relative/path', '/', '/p?utm_source=x']) {
      expect(ok({ name: 'pageview', url }).url).toBe(url);
    }
    // Another event's url is context: kept as sent, whatever it is.
    expect(ok({ name: 'purchase', url: 'checkout' }).url).toBe('checkout');
    // Readers of kept bodies skip the check (bodies older collectors accepted).
    const lenient = validateEvent({ name: 'pageview', url: 'not a url' }, undefined, { ...opts, anyPageviewUrl: true });
    expect('event' in lenient && lenient.event.url).toBe('not a url');
  });

  it('corrects client clock skew with sent_at', () => {
    // Client clock 1 hour slow: it stamped ts and sent_at an hour early.
    const hour = 3_600_000;
    const e = ok({ name: 'e', ts: NOW - hour - 5000 }, NOW - hour);
    expect(e.ts).toBe(NOW - 5000);
    // Far-off client clock would be too old without correction, fine with it.
    const days = 30 * 86_400_000;
    expect(reason({ name: 'e', ts: NOW - days }, NOW - days)).toBeUndefined();
    expect(reason({ name: 'e', ts: NOW - days })).toBe('too_old');
  });
});

describe('validateBatch', () => {
  it('accepts the valid events and lists the rejected ones with their index', () => {
    const r = validateBatch({ events: [{ name: 'a' }, { name: 5 }, { name: 'pageview', url: '/x' }, null] }, opts);
    expect(r.accepted.map((e) => e.name)).toEqual(['a', 'pageview']);
    expect(r.rejected).toEqual([
      { index: 1, reason: 'invalid_type:name' },
      { index: 3, reason: 'not_an_object' },
    ]);
  });

  it.each([
    [null, 'not_a_batch'],
    [[], 'not_a_batch'],
    [{}, 'not_a_batch'],
    [{ events: {} }, 'not_a_batch'],
    [{ events: 'x' }, 'not_a_batch'],
    [{ events: [], sent_at: 'now' }, 'invalid_sent_at'],
    [{ events: [], sent_at: Number.NaN }, 'invalid_sent_at'],
    [{ events: [], sent_at: -1 }, 'invalid_sent_at'],
    [{ events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({ name: 'e' })) }, 'too_many_events'],
  ])('refuses the body %# as %s', (body, code) => {
    let err: unknown;
    try {
      validateBatch(body, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BodyError);
    expect((err as BodyError).code).toBe(code);
  });

  it('accepts exactly 500 events and an empty batch', () => {
    expect(validateBatch({ events: Array.from({ length: MAX_EVENTS_PER_BATCH }, () => ({ name: 'e' })) }, opts).accepted).toHaveLength(MAX_EVENTS_PER_BATCH);
    expect(validateBatch({ events: [] }, opts)).toEqual({ accepted: [], rejected: [] });
  });

  it('takes sent_at: null as no sent_at', () => {
    const r = validateBatch({ sent_at: null, events: [{ name: 'e', ts: NOW - 1_000 }] }, opts);
    expect(r.rejected).toEqual([]);
    expect(r.accepted[0]?.ts).toBe(NOW - 1_000);
  });

  it("hands idAt the event's index in the batch, so ids can be derived again from the body", () => {
    const events = [{ name: 'a' }, { id: 'mine', name: 'b' }, { name: '' }, { name: 'c' }];
    const r = validateBatch({ events }, { receivedAt: NOW, idAt: (i) => `id@${i}` });
    expect(r.accepted.map((e) => e.id)).toEqual(['id@0', 'mine', 'id@3']);
  });

  it('calls newId without arguments (crypto.randomUUID takes an options object)', () => {
    const args: unknown[][] = [];
    validateBatch({ events: [{ name: 'a' }, { name: 'b' }] }, { receivedAt: NOW, newId: (...a: unknown[]) => (args.push(a), 'x') });
    expect(args).toEqual([[], []]);
  });
});

describe('utf8Length', () => {
  it.each(['', 'abc', 'héllo', '日本語', '🛒🎉', '\ud800x', 'a\udc00'])('matches TextEncoder for %j', (s) => {
    expect(utf8Length(s)).toBe(new TextEncoder().encode(s).byteLength);
  });
});
