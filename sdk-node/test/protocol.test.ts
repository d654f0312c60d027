import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Event as ProtocolEvent } from '@pulse/protocol';
import { parseBatch } from '@pulse/protocol/codec';
import type { TrackEvent } from '../src/index.js';
import { client } from './helpers.js';
import { startSink, type Sink } from './sink.js';

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

// Both directions must type-check: the SDK's own declaration is the protocol's Event.
const full: TrackEvent = {
  name: 'purchase',
  url: 'https://shop.example/checkout?utm_source=news',
  referrer: 'https://news.example/',
  title: 'Checkout',
  visitor_id: 'v1',
  session_id: 's1',
  user_id: 'u1',
  props: { plan: 'pro', seats: 3, trial: false },
  revenue: { amount: 49.9, currency: 'EUR' },
  screen_width: 1440,
  lang: 'de-DE',
};
const asProtocol: ProtocolEvent = full;
const back: TrackEvent = asProtocol;

describe('wire compatibility with @pulse/protocol', () => {
  it("the collector's own parser accepts every event the SDK sends, ids and fields intact", async () => {
    sink = await startSink();
    const { analytics } = client(sink.url);
    const ids = [analytics.track(back), analytics.pageview({ url: 'https://shop.example/' }), analytics.track({ name: 'x', id: 'my-id-1' })];
    await analytics.flush();
    const res = parseBatch(sink.requests[0]!.raw, 'application/msgpack', { receivedAt: Date.now(), newId: randomUUID });
    if (!res.ok) throw res.error;
    expect(res.rejected).toEqual([]);
    expect(res.accepted.map((e) => e.id)).toEqual(ids);
    expect(res.accepted[0]).toMatchObject({ ...full, id: ids[0] });
    await analytics.close();
  });

  it('the collector accepts an event with undefined prop values: they are left out, as JSON would', async () => {
    sink = await startSink();
    const { analytics } = client(sink.url);
    const plan: string | undefined = undefined;
    // What a JavaScript caller (or a cast) hands over; TypeScript's types forbid it.
    const props = { plan, seats: 3 } as unknown as Record<string, string | number>;
    analytics.track({ name: 'signup', props });
    await analytics.flush();
    const res = parseBatch(sink.requests[0]!.raw, 'application/msgpack', { receivedAt: Date.now(), newId: randomUUID });
    if (!res.ok) throw res.error;
    expect(res.rejected).toEqual([]);
    expect(res.accepted[0]!.props).toStrictEqual({ seats: 3 });
    await analytics.close();
  });
});
