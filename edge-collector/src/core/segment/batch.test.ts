import { bodyError } from '../route-test-kit.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_AGE_MS, MAX_EVENTS_PER_BATCH } from '@pulse/protocol';
import { deadLetterMessage, readSegmentBody, type SegmentReadOptions } from './batch.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const opts: SegmentReadOptions = { receivedAt: NOW, maxEventAgeMs: DEFAULT_MAX_EVENT_AGE_MS, idAt: (i) => `gen.${i}` };
const iso = (ms: number) => new Date(ms).toISOString();

describe('readSegmentBody', () => {
  it('translates and validates a batch, with Segment indexes, ignored calls counted and ids for messages without one', () => {
    const batch = [
      { type: 'identify', userId: 'u1', traits: { email: 'a@b' } },
      { type: 'track', event: 'Signed Up', messageId: 'm-1', userId: 'u1', timestamp: iso(NOW - 1_000) },
      { type: 'page', properties: { url: 'https://shop.example/' }, anonymousId: 'a1' },
      { type: 'group', groupId: 'g' },
      { type: 'page', name: 'No url' },
      'garbage',
      { type: 'alias', previousId: 'a1', userId: 'u1' },
      { type: 'track', event: '' },
      { type: 'screen', name: 'Home', messageId: 'm-8' },
    ];
    const r = readSegmentBody({ batch, sentAt: iso(NOW) }, 'batch', opts);
    expect(r.ignored).toBe(3);
    expect(r.rejected).toEqual([
      { index: 4, reason: 'pageview_without_url' },
      { index: 5, reason: 'not_an_object' },
      { index: 7, reason: 'missing_name' },
    ]);
    expect(r.accepted).toEqual([
      { id: 'm-1', name: 'Signed Up', ts: NOW - 1_000, visitor_id: 'u1', user_id: 'u1' },
      { id: 'gen.2', name: 'pageview', ts: NOW, url: 'https://shop.example/', visitor_id: 'a1' },
      { id: 'm-8', name: 'screenview', ts: NOW, props: { name: 'Home' } },
    ]);
    expect(r.messages).toBe(batch);
  });

  it("applies the event limits of Pulse's own validation, with its reasons", () => {
    const props65: Record<string, number> = {};
    for (let i = 0; i < 65; i++) props65[`p${i}`] = i;
    const heavy: Record<string, string> = {};
    for (let i = 0; i < 40; i++) heavy[`p${i}`] = 'x'.repeat(1_000);
    const batch = [
      { type: 'track', event: 'ok', properties: { note: 'y'.repeat(1_024), list: Array.from({ length: 200 }, (_, i) => i) } },
      { type: 'track', event: 'long value', properties: { note: 'y'.repeat(1_025) } },
      { type: 'track', event: 'long array', properties: { list: Array.from({ length: 300 }, (_, i) => i) } },
      { type: 'track', event: 'many', properties: props65 },
      { type: 'track', event: 'many nested', properties: { a: props65 } },
      { type: 'track', event: 'e'.repeat(1_025) },
      { type: 'track', event: 'long id', messageId: 'm'.repeat(129) },
      { type: 'track', event: 'heavy', properties: heavy },
      { type: 'track', event: 'old', timestamp: iso(NOW - 8 * 86_400_000) },
      { type: 'track', event: 'future', timestamp: iso(NOW + 10 * 60_000) },
      { type: 'page', properties: { url: 'file:///home/me/a.html' } },
      { type: 'track', event: 'buy', properties: { revenue: 10, currency: 'dollars' } },
      { type: 'track', event: 'buy', properties: { revenue: 'ten' } },
      { type: 'track', event: 'buy', properties: { revenue: 10, currency: 'EUR', coupon: { code: 'X', value: null } } },
      { type: 'track', event: 'bad user', userId: ['u'] },
      { type: 'track', event: 'ancient', timestamp: '1960-01-01T00:00:00Z' },
    ];
    const r = readSegmentBody({ batch }, 'batch', opts);
    expect(r.rejected).toEqual([
      { index: 1, reason: 'invalid_prop_value:note' },
      { index: 3, reason: 'too_many_props' },
      { index: 4, reason: 'too_many_props' },
      { index: 5, reason: 'too_long:name' },
      { index: 6, reason: 'too_long:id' },
      { index: 7, reason: 'event_too_large' },
      { index: 8, reason: 'too_old' },
      { index: 9, reason: 'too_far_in_future' },
      { index: 10, reason: 'invalid_url:url' },
      { index: 11, reason: 'invalid_value:revenue.currency' },
      { index: 12, reason: 'invalid_type:revenue.amount' },
      { index: 14, reason: 'invalid_type:visitor_id' },
      { index: 15, reason: 'invalid_type:ts' },
    ]);
    // An array over the string limit is left out alone (index 2 keeps its event, without `list`).
    expect(r.accepted.map((e) => e.name)).toEqual(['ok', 'long array', 'buy']);
    expect(r.accepted[1]?.props).toBeUndefined();
    expect(r.accepted[2]).toEqual({ id: 'gen.13', name: 'buy', ts: NOW, revenue: { amount: 10, currency: 'EUR' }, props: { 'coupon.code': 'X' } });
  });

  it('corrects times with the batch sentAt, or each message’s own', () => {
    const hourBehind = NOW - 3_600_000;
    const batch = [
      { type: 'track', event: 'a', timestamp: iso(hourBehind - 5_000) },
      { type: 'track', event: 'b', timestamp: iso(NOW - 5_000), sentAt: iso(NOW) },
    ];
    const r = readSegmentBody({ batch, sentAt: iso(hourBehind) }, 'batch', opts);
    expect(r.accepted.map((e) => e.ts)).toEqual([NOW - 5_000, NOW - 5_000]);
  });

  it('reads a single-message body as that message, typed by the path, with its own sentAt and context', () => {
    const body = { event: 'Clicked', sentAt: iso(NOW - 3_600_000), timestamp: iso(NOW - 3_600_000 - 500), context: { locale: 'en-GB' }, writeKey: 'wk_x' };
    const r = readSegmentBody(body, 'track', opts);
    expect(r).toEqual({ accepted: [{ id: 'gen.0', name: 'Clicked', ts: NOW - 500, lang: 'en-GB' }], rejected: [], ignored: 0, messages: [body] });
    expect(readSegmentBody({ userId: 'u', traits: {} }, 'identify', opts)).toEqual({ accepted: [], rejected: [], ignored: 1, messages: [{ userId: 'u', traits: {} }] });
  });

  it('refuses bodies that are not a Segment batch or message as a whole', () => {
    expect(bodyError(() => readSegmentBody([1], 'batch', opts))).toEqual({ code: 'not_a_batch', status: 400 });
    expect(bodyError(() => readSegmentBody({ events: [] }, 'batch', opts))).toEqual({ code: 'not_a_batch', status: 400 });
    expect(bodyError(() => readSegmentBody({ batch: { type: 'track' } }, 'batch', opts))).toEqual({ code: 'not_a_batch', status: 400 });
    expect(bodyError(() => readSegmentBody('track', 'track', opts))).toEqual({ code: 'not_a_batch', status: 400 });
    expect(bodyError(() => readSegmentBody({ batch: [], sentAt: 'yesterday' }, 'batch', opts))).toEqual({ code: 'invalid_sent_at', status: 400 });
    expect(bodyError(() => readSegmentBody({ batch: [], sentAt: 0 }, 'batch', opts))).toEqual({ code: 'invalid_sent_at', status: 400 });
    const tooMany = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({ type: 'identify' }));
    expect(bodyError(() => readSegmentBody({ batch: tooMany }, 'batch', opts))).toEqual({ code: 'too_many_events', status: 413 });
    expect(readSegmentBody({ batch: tooMany.slice(1) }, 'batch', opts).ignored).toBe(MAX_EVENTS_PER_BATCH);
    expect(readSegmentBody({ batch: [] }, 'batch', opts)).toEqual({ accepted: [], rejected: [], ignored: 0, messages: [] });
  });
});

describe('deadLetterMessage', () => {
  it('keeps a refused message as sent, without context.ip, and leaves the original alone', () => {
    const msg = { type: 'page', context: { ip: '203.0.113.9', locale: 'de' }, properties: {} };
    expect(deadLetterMessage(msg)).toEqual({ type: 'page', context: { locale: 'de' }, properties: {} });
    expect(msg.context.ip).toBe('203.0.113.9');
    const plain = { type: 'page', context: { locale: 'de' } };
    expect(deadLetterMessage(plain)).toBe(plain);
    expect(deadLetterMessage('garbage')).toBe('garbage');
  });
});
