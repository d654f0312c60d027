import { describe, expect, it } from 'vitest';
import { decodeEvent } from './encode.js';
import { prepareEvent } from './prepare.js';
import type { TrackEvent } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('prepareEvent', () => {
  it('stamps a fresh UUID and the time, keeps the fields, skips undefined ones', () => {
    const before = Date.now();
    const p = prepareEvent({ name: 'signup', user_id: 'u1', title: undefined, props: { plan: 'pro' } }, 65_536);
    if (!('bytes' in p)) throw new Error(p.reason);
    expect(p.id).toMatch(UUID);
    const e = decodeEvent(p.bytes);
    expect(e).toEqual({ id: p.id, name: 'signup', ts: e.ts, user_id: 'u1', visitor_id: 'u1', props: { plan: 'pro' } });
    expect(e.ts as number).toBeGreaterThanOrEqual(before);
    const again = prepareEvent({ name: 'signup' }, 65_536);
    expect(again.id).not.toBe(p.id);
  });

  it('keeps the first 1,024 characters of a longer url, referrer or title, never half an emoji', () => {
    const url = `https://shop.example/landing?gclid=${'x'.repeat(2_000)}`;
    const title = `${'t'.repeat(1_023)}😀 and more`;
    const p = prepareEvent({ name: 'pageview', url, referrer: url, title }, 65_536);
    if (!('bytes' in p)) throw new Error(p.reason);
    const e = decodeEvent(p.bytes);
    expect(e.url).toBe(url.slice(0, 1_024));
    expect(e.referrer).toBe(url.slice(0, 1_024));
    expect(e.title).toBe('t'.repeat(1_023));
  });

  it('keeps a caller id and time', () => {
    const p = prepareEvent({ name: 'x', id: 'order-1', ts: 1234 }, 65_536);
    if (!('bytes' in p)) throw new Error(p.reason);
    expect(decodeEvent(p.bytes)).toEqual({ id: 'order-1', name: 'x', ts: 1234 });
  });

  it('snapshots the event: later changes by the caller do not leak in', () => {
    const props = { a: 1 };
    const p = prepareEvent({ name: 'x', props }, 65_536);
    props.a = 2;
    if (!('bytes' in p)) throw new Error(p.reason);
    expect(decodeEvent(p.bytes).props).toEqual({ a: 1 });
  });

  it('leaves out undefined values inside props and revenue, as JSON would', () => {
    const input = { name: 'x', props: { a: undefined, b: 1 }, revenue: { amount: 5, currency: 'EUR', note: undefined } } as unknown as TrackEvent;
    const p = prepareEvent(input, 65_536);
    if (!('bytes' in p)) throw new Error(p.reason);
    const e = decodeEvent(p.bytes);
    // toStrictEqual: an `a: undefined` left in would not pass.
    expect(e.props).toStrictEqual({ b: 1 });
    expect(e.revenue).toStrictEqual({ amount: 5, currency: 'EUR' });
    // msgpackr writes undefined as fixext1 type 0 (0xd4 0x00): the collector refuses that.
    expect(Buffer.from(p.bytes).includes(Buffer.from([0xd4, 0x00, 0x00]))).toBe(false);
    // The caller's objects stay as they were.
    expect(Object.keys((input as { props: object }).props)).toEqual(['a', 'b']);
  });

  it('sends user_id as visitor_id when there is no visitor_id: else every event is the server, one visitor', () => {
    const visitor = (e: Record<string, unknown>): unknown => {
      const p = prepareEvent(e, 65_536);
      if (!('bytes' in p)) throw new Error(p.reason);
      return decodeEvent(p.bytes).visitor_id;
    };
    expect(visitor({ name: 'x', user_id: 'u1' })).toBe('u1');
    expect(visitor({ name: 'x', user_id: 'u1', visitor_id: undefined })).toBe('u1');
    expect(visitor({ name: 'x', user_id: 'u1', visitor_id: '' })).toBe('u1');
    expect(visitor({ name: 'x', user_id: 'u1', visitor_id: 'anon-7' })).toBe('anon-7');
    expect(visitor({ name: 'x' })).toBeUndefined();
    expect(visitor({ name: 'x', user_id: '' })).toBeUndefined();
  });

  it('refuses what cannot make a valid batch, with the protocol reasons', () => {
    const reason = (e: unknown): string | undefined => {
      const p = prepareEvent(e, 65_536);
      return 'reason' in p ? p.reason : undefined;
    };
    expect(reason(null)).toBe('not_an_object');
    expect(reason({})).toBe('missing_name');
    expect(reason({ name: 5 })).toBe('invalid_type:name');
    expect(reason({ name: 'pageview' })).toBe('pageview_without_url');
    expect(reason({ name: 'x', id: '' })).toBe('invalid_value:id');
    expect(reason({ name: 'x', ts: Number.NaN })).toBe('invalid_type:ts');
    expect(reason({ name: 'x', props: { big: 'y'.repeat(70_000) } })).toBe('event_too_large');
    expect(reason({ name: 'pageview', url: 'https://a.example/' })).toBeUndefined();
  });
});
