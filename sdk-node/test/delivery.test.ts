import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, MAX_EVENTS_PER_BATCH } from '@pulse/protocol';
import { EventsRejectedError } from '../src/index.js';
import { client, sleep } from './helpers.js';
import { startSink, type Sink } from './sink.js';

let sink: Sink;
afterEach(async () => {
  await sink?.close();
});

describe('delivery to a collector', () => {
  it('sends msgpack batches with the write key and an id on every event', async () => {
    sink = await startSink();
    const { analytics, errors } = client(sink.url, { writeKey: 'wk_abc' });
    const ids = [analytics.track({ name: 'signup', user_id: 'u1', props: { plan: 'pro' } }), analytics.pageview({ url: 'https://shop.example/' })];
    await analytics.flush();
    expect(sink.requests).toHaveLength(1);
    const r = sink.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v1/batch');
    expect(r.headers['content-type']).toBe('application/msgpack');
    expect(r.headers.authorization).toBe('Bearer wk_abc');
    expect(r.headers['user-agent']).toMatch(/^pulse-sdk-node\//);
    expect(typeof r.body.sent_at).toBe('number');
    expect(r.body.events.map((e) => e.id)).toEqual(ids);
    expect(r.body.events[0]).toMatchObject({ name: 'signup', user_id: 'u1', props: { plan: 'pro' } });
    expect(r.body.events[1]).toMatchObject({ name: 'pageview', url: 'https://shop.example/' });
    expect(analytics.stats()).toMatchObject({ delivered: 2, queued: 0, inFlight: 0, requests: 1, retries: 0 });
    expect(errors).toEqual([]);
    await analytics.close();
  });

  it('sends on its own once flushAt events wait, and after flushIntervalMs otherwise', async () => {
    sink = await startSink();
    const byCount = client(sink.url, { flushAt: 10, flushIntervalMs: 60_000 }).analytics;
    for (let i = 0; i < 9; i++) byCount.track({ name: 'x' });
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.requests).toHaveLength(0);
    byCount.track({ name: 'tenth' });
    await sink.waitForEvents(10, 5000);
    await byCount.close();

    const byTime = client(sink.url, { flushAt: 1000, flushIntervalMs: 300 }).analytics;
    const t0 = Date.now();
    byTime.track({ name: 'alone' });
    await sink.waitForEvents(11, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await byTime.close();
  });

  it('cuts batches to the protocol limits by count and by bytes', async () => {
    sink = await startSink();
    const { analytics } = client(sink.url, { flushAt: 1_000_000, maxQueueSize: 100_000 });
    for (let i = 0; i < 1234; i++) analytics.track({ name: 'small', props: { i } });
    // ~8 KiB each: 512 KiB holds ~63 of them.
    for (let i = 0; i < 200; i++) analytics.track({ name: 'big', props: { blob: 'x'.repeat(1000), b2: 'y'.repeat(1000), b3: 'z'.repeat(1000), b4: 'w'.repeat(1000), b5: 'v'.repeat(1000), b6: 'u'.repeat(1000), b7: 't'.repeat(1000), b8: 's'.repeat(1000) } });
    await analytics.flush();
    expect(sink.accepted).toHaveLength(1434);
    for (const r of sink.requests) {
      expect(r.body.events.length).toBeLessThanOrEqual(MAX_EVENTS_PER_BATCH);
      expect(r.bytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
    }
    expect(sink.requests.some((r) => r.body.events.length === MAX_EVENTS_PER_BATCH)).toBe(true);
    expect(sink.requests.some((r) => r.bytes > MAX_BODY_BYTES - 16 * 1024)).toBe(true);
    expect(new Set(sink.accepted.map((e) => e.id)).size).toBe(1434);
    await analytics.close();
  });

  it('reuses keep-alive connections', async () => {
    sink = await startSink();
    const { analytics } = client(sink.url, { flushAt: 10, maxInFlight: 2 });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) analytics.track({ name: 'x' });
      await analytics.flush();
    }
    expect(sink.requests.length).toBe(20);
    expect(sink.connections).toBeLessThanOrEqual(2);
    await analytics.close();
  });

  it('reports per-event rejections of a 202 with the server reasons and the events', async () => {
    sink = await startSink();
    sink.script.push({ status: 202, body: { accepted: 1, rejected: [{ index: 0, reason: 'too_old' }, { index: 2, reason: 'invalid_type:props' }] } });
    const { analytics, errors } = client(sink.url);
    const a = analytics.track({ name: 'a', ts: 1000 });
    analytics.track({ name: 'b' });
    const c = analytics.track({ name: 'c' });
    await analytics.flush();
    expect(errors).toHaveLength(1);
    const err = errors[0] as EventsRejectedError;
    expect(err).toBeInstanceOf(EventsRejectedError);
    expect(err.code).toBe('events_rejected');
    expect(err.source).toBe('server');
    expect(err.rejections.map((r) => [r.id, r.reason])).toEqual([
      [a, 'too_old'],
      [c, 'invalid_type:props'],
    ]);
    expect(err.rejections[0]!.event).toMatchObject({ name: 'a', ts: 1000 });
    expect(analytics.stats()).toMatchObject({ delivered: 1, rejected: 2, failed: 0 });
    await analytics.close();
  });

  it('reports events it refuses itself without sending them, through onError too', async () => {
    sink = await startSink();
    const seen: string[] = [];
    const { analytics, errors } = client(sink.url, { onError: (e) => seen.push(e.code) });
    analytics.track({ name: '' });
    analytics.track({ name: 'pageview' } as never);
    analytics.track({ name: 'ok' });
    await analytics.flush();
    expect(errors.map((e) => (e as EventsRejectedError).rejections[0]?.reason)).toEqual(['missing_name', 'pageview_without_url']);
    expect(seen).toEqual(['events_rejected', 'events_rejected']);
    expect(sink.accepted.map((e) => e.name)).toEqual(['ok']);
    await analytics.close();
  });

  it('flush() with nothing queued resolves at once; a listener that throws breaks nothing', async () => {
    sink = await startSink();
    const { analytics } = client(sink.url);
    await analytics.flush();
    const orig = console.error;
    console.error = () => {};
    try {
      analytics.on('delivered', () => {
        throw new Error('listener bug');
      });
      analytics.track({ name: 'x' });
      await analytics.flush();
      analytics.track({ name: 'y' });
      await analytics.flush();
    } finally {
      console.error = orig;
    }
    expect(sink.accepted).toHaveLength(2);
    await sleep(0);
    await analytics.close();
  });
});
