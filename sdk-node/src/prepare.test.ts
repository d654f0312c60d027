import { describe, expect, it } from 'vitest';
import { decodeEvent } from './encode.js';
import { prepareEvent } from './prepare.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('prepareEvent', () => {
  it('stamps a fresh UUID and the time, keeps the fields, skips undefined ones', () => {
    const before = Date.now();
    const p = prepareEvent({ name: 'signup', user_id: 'u1', title: undefined, props: { plan: 'pro' } }, 65_536);
    if (!('bytes' in p)) throw new Error(p.reason);
    expect(p.id).toMatch(UUID);
    const e = decodeEvent(p.bytes);
    expect(e).toEqual({ id: p.id, name: 'signup', ts: e.ts, user_id: 'u1', props: { plan: 'pro' } });
    expect(e.ts as number).toBeGreaterThanOrEqual(before);
    const again = prepareEvent({ name: 'signup' }, 65_536);
    expect(again.id).not.toBe(p.id);
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
