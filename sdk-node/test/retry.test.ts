import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@pulse/testkit';
import { DeliveryError, type RetryInfo } from '../src/index.js';
import { client } from './helpers.js';
import { startSink, type Sink } from './sink.js';

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

const fast = { backoffMinMs: 20, backoffMaxMs: 200 };

describe('retries', () => {
  it('honours Retry-After on a 503, then delivers once, with a fresh sent_at', async () => {
    sink = await startSink();
    sink.script.push({ status: 503, headers: { 'retry-after': '1' }, body: { error: { code: 'stream_unavailable', message: 'try later' } } });
    const { analytics, errors } = client(sink.url, fast);
    const retries: RetryInfo[] = [];
    analytics.on('retry', (r) => retries.push(r));
    const id = analytics.track({ name: 'x' });
    await analytics.flush();
    expect(sink.requests).toHaveLength(2);
    const [first, second] = sink.requests as [NonNullable<typeof sink.requests[0]>, NonNullable<typeof sink.requests[0]>];
    expect(second.at - first.at).toBeGreaterThanOrEqual(980);
    expect(second.body.events[0]!.id).toBe(id);
    expect(first.body.events[0]!.id).toBe(id);
    expect(second.body.sent_at as number).toBeGreaterThanOrEqual((first.body.sent_at as number) + 980);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, status: 503, retryAfterMs: 1000, events: 1 })]);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1000);
    expect(sink.accepted).toHaveLength(1);
    expect(errors).toEqual([]);
    await analytics.close();
  });

  it('honours Retry-After on a 429 (HTTP-date form too)', async () => {
    sink = await startSink();
    sink.script.push({ status: 429, headers: { 'retry-after': new Date(Date.now() + 1500).toUTCString() }, body: { error: { code: 'rate_limited', message: 'slow down' } } });
    sink.script.push({ status: 429, headers: { 'retry-after': '0' } });
    const { analytics, errors } = client(sink.url, fast);
    analytics.track({ name: 'x' });
    await analytics.flush();
    expect(sink.requests).toHaveLength(3);
    // toUTCString drops the milliseconds: the wait is at least 0.5 s.
    expect(sink.requests[1]!.at - sink.requests[0]!.at).toBeGreaterThanOrEqual(480);
    expect(analytics.stats()).toMatchObject({ delivered: 1, retries: 2, requests: 3 });
    expect(errors).toEqual([]);
    await analytics.close();
  });

  it("retries a 408 (the collector's body_timeout for a body that came in too slowly)", async () => {
    sink = await startSink();
    sink.script.push({ status: 408, body: { error: { code: 'body_timeout', message: 'the body arrived too slowly' } } });
    const { analytics, errors } = client(sink.url, fast);
    const retries: RetryInfo[] = [];
    analytics.on('retry', (r) => retries.push(r));
    const id = analytics.track({ name: 'x' });
    await analytics.flush();
    expect(sink.requests).toHaveLength(2);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, status: 408 })]);
    expect(sink.accepted.map((e) => e.id)).toEqual([id]);
    expect(analytics.stats()).toMatchObject({ delivered: 1, failed: 0, retries: 1 });
    expect(errors).toEqual([]);
    await analytics.close();
  });

  it('backs off exponentially on 5xx without Retry-After', async () => {
    sink = await startSink();
    sink.script.push({ status: 500 }, { status: 502 }, { status: 504 }, { status: 500 });
    const { analytics } = client(sink.url, { backoffMinMs: 100, backoffMaxMs: 10_000 });
    const delays: number[] = [];
    analytics.on('retry', (r) => delays.push(r.delayMs));
    analytics.track({ name: 'x' });
    await analytics.flush();
    expect(sink.requests).toHaveLength(5);
    // Equal jitter: attempt n waits between 100·2^(n-1)/2 and 100·2^(n-1).
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(d).toBeLessThanOrEqual(100 * 2 ** i);
    });
    const gaps = sink.requests.slice(1).map((r, i) => r.at - sink!.requests[i]!.at);
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(50 * 2 ** i - 5));
    await analytics.close();
  });

  it('retries network errors: connection refused until the collector comes up, a dropped connection', async () => {
    const port = await freePort();
    const { analytics, errors } = client(`http://127.0.0.1:${port}`, { ...fast, maxRetries: 50 });
    const id = analytics.track({ name: 'x' });
    const flushed = analytics.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(analytics.stats().retries).toBeGreaterThan(0);
    sink = await startSink(port);
    sink.script.push('destroy');
    await flushed;
    expect(sink.accepted.map((e) => e.id)).toEqual([id]);
    expect(errors).toEqual([]);
    await analytics.close();
  });

  it('retries a request that gets no answer within requestTimeoutMs', async () => {
    sink = await startSink();
    sink.script.push('hang');
    const { analytics } = client(sink.url, { ...fast, requestTimeoutMs: 300 });
    analytics.track({ name: 'x' });
    await analytics.flush();
    expect(sink.requests).toHaveLength(2);
    expect(sink.accepted).toHaveLength(1);
    await analytics.close();
  });

  for (const [status, code] of [
    [400, 'invalid_msgpack'],
    [401, 'unknown_write_key'],
    [413, 'body_too_large'],
  ] as const) {
    it(`never retries a ${status} and reports it with the server's reason and the events`, async () => {
      sink = await startSink();
      sink.script.push({ status, body: { error: { code, message: `the ${code} message` } } });
      const { analytics, errors } = client(sink.url, fast);
      const ids = [analytics.track({ name: 'a' }), analytics.track({ name: 'b' })];
      await analytics.flush();
      expect(sink.requests).toHaveLength(1);
      expect(errors).toHaveLength(1);
      const err = errors[0] as DeliveryError;
      expect(err).toBeInstanceOf(DeliveryError);
      expect(err.code).toBe('request_rejected');
      expect(err.status).toBe(status);
      expect(err.reply).toEqual({ status, code, message: `the ${code} message` });
      expect(err.attempts).toBe(1);
      expect(err.events.map((e) => e.id)).toEqual(ids);
      expect(analytics.stats()).toMatchObject({ failed: 2, delivered: 0, retries: 0 });
      // The next batch is sent normally.
      analytics.track({ name: 'c' });
      await analytics.flush();
      expect(sink.accepted.map((e) => e.name)).toEqual(['c']);
      await analytics.close();
    });
  }

  it('gives up after maxRetries and reports the last answer', async () => {
    sink = await startSink();
    sink.fallback = () => ({ status: 503, body: { error: { code: 'stream_unavailable', message: 'down' } } });
    const { analytics, errors } = client(sink.url, { ...fast, maxRetries: 3 });
    analytics.track({ name: 'x' });
    await analytics.flush();
    expect(sink.requests).toHaveLength(4);
    const err = errors[0] as DeliveryError;
    expect(err.code).toBe('retries_exhausted');
    expect(err.attempts).toBe(4);
    expect(err.reply?.code).toBe('stream_unavailable');
    expect(err.events).toHaveLength(1);
    await analytics.close();
  });
});
