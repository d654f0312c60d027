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

// Both directions must type-check: the SDK's own declaration is the protocol's Event, and
// `satisfies` keeps the literal's own types so this checks each field against both (an annotated
// TrackEvent would not go back, since its prop values may be undefined, which the SDK leaves out).
const full = {
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
} satisfies TrackEvent;
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

  it('the collector accepts events with undefined fields and prop values: they are left out, as JSON would', async () => {
    sink = await startSink();
    const { analytics } = client(sink.url);
    // What `plan: opts.plan` hands over when the option was not given; the types take it (types.test.ts).
    const opts: { plan?: string; visitor?: string; ref?: string } = {};
    analytics.track({ name: 'signup', user_id: 'u1', visitor_id: opts.visitor, url: undefined, props: { plan: opts.plan, seats: 3 } });
    analytics.pageview({ url: 'https://shop.example/', referrer: opts.ref, title: undefined, revenue: undefined, props: { plan: opts.plan } });
    await analytics.flush();
    const res = parseBatch(sink.requests[0]!.raw, 'application/msgpack', { receivedAt: Date.now(), newId: randomUUID });
    if (!res.ok) throw res.error;
    expect(res.rejected).toEqual([]);
    // On the wire the undefined ones are not there at all (msgpack would carry an undefined, which
    // the collector refuses): the visitor is the user, as without the field, and no url or referrer.
    const [signup, view] = sink.accepted;
    expect(signup).toStrictEqual({ id: res.accepted[0]!.id, name: 'signup', ts: signup!.ts, user_id: 'u1', visitor_id: 'u1', props: { seats: 3 } });
    expect(view).toStrictEqual({ id: res.accepted[1]!.id, name: 'pageview', ts: view!.ts, url: 'https://shop.example/', props: {} });
    await analytics.close();
  });
});
