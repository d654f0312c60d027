import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '@pulse/testkit';
import { ClosedError, DeliveryError, QueueOverflowError } from '../src/index.js';
import { client, sleep } from './helpers.js';
import { startSink, type Sink } from './sink.js';

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('close()', () => {
  it('sends what is queued and says so', async () => {
    sink = await startSink();
    const { analytics } = client(sink.url, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 1200; i++) analytics.track({ name: 'x', props: { i } });
    const result = await analytics.close({ timeoutMs: 5000 });
    expect(result).toEqual({ timedOut: false, delivered: 1200, unsent: [] });
    expect(sink.accepted).toHaveLength(1200);
  });

  it('with a dead collector returns within its timeout and hands back every unsent event', async () => {
    const port = await freePort();
    const { analytics } = client(`http://127.0.0.1:${port}`, { backoffMinMs: 50, maxInFlight: 2, flushAt: 10 });
    const ids = new Set<string>();
    for (let i = 0; i < 1500; i++) ids.add(analytics.track({ name: 'x', props: { i } }));
    const t0 = Date.now();
    const result = await analytics.close({ timeoutMs: 1000 });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(3000);
    expect(result.timedOut).toBe(true);
    expect(result.delivered).toBe(0);
    expect(result.unsent).toHaveLength(1500);
    expect(new Set(result.unsent.map((e) => e.id))).toEqual(ids);
    expect(result.unsent[0]).toMatchObject({ name: 'x', props: { i: expect.any(Number) } });
    expect(analytics.stats().retries).toBeGreaterThan(0);
  });

  it('gives a batch that is backing off its next attempt right away, but keeps a Retry-After', async () => {
    sink = await startSink();
    sink.script.push({ status: 500 });
    const { analytics } = client(sink.url, { backoffMinMs: 20_000, backoffMaxMs: 60_000 });
    let retried!: () => void;
    const firstFailure = new Promise<void>((r) => (retried = r));
    analytics.on('retry', () => retried());
    analytics.track({ name: 'x' });
    void analytics.flush();
    await firstFailure;
    const t0 = Date.now();
    const result = await analytics.close({ timeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result).toMatchObject({ timedOut: false, delivered: 1, unsent: [] });
    expect(sink.requests).toHaveLength(2);

    const other = await startSink();
    try {
      other.script.push({ status: 503, headers: { 'retry-after': '30' } });
      const second = client(other.url, { backoffMinMs: 20_000 });
      const backingOff = new Promise<void>((r) => second.analytics.on('retry', () => r()));
      second.analytics.track({ name: 'y' });
      void second.analytics.flush();
      await backingOff;
      const r2 = await second.analytics.close({ timeoutMs: 500 });
      expect(r2).toMatchObject({ timedOut: true, delivered: 0 });
      expect(r2.unsent).toHaveLength(1);
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('cuts short a request that hangs', async () => {
    sink = await startSink();
    sink.fallback = () => 'hang';
    const { analytics } = client(sink.url);
    const id = analytics.track({ name: 'x' });
    const t0 = Date.now();
    const result = await analytics.close({ timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(result.timedOut).toBe(true);
    expect(result.unsent.map((e) => e.id)).toEqual([id]);
  });

  it('settles a waiting flush() when close() runs out of time with events still queued', async () => {
    sink = await startSink();
    sink.fallback = () => 'hang';
    const { analytics } = client(sink.url, { maxInFlight: 1, maxBatchEvents: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 30; i++) analytics.track({ name: 'x', props: { i } });
    let flushed = false;
    const flush = analytics.flush().then(() => (flushed = true));
    const result = await analytics.close({ timeoutMs: 300 });
    // One batch hung in flight; two never left the queue.
    expect(result.timedOut).toBe(true);
    expect(result.unsent).toHaveLength(30);
    await Promise.race([flush, sleep(1000)]);
    expect(flushed).toBe(true);
    // And a flush() after close() has nothing to wait for.
    await analytics.flush();
  });

  it('counts events refused during close as unsent too', async () => {
    sink = await startSink();
    sink.fallback = () => ({ status: 401, body: { error: { code: 'unknown_write_key', message: 'no such key' } } });
    const { analytics, errors } = client(sink.url);
    analytics.track({ name: 'x' });
    const result = await analytics.close({ timeoutMs: 2000 });
    expect(result.timedOut).toBe(false);
    expect(result.unsent).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeliveryError);
  });

  it('drops and reports events tracked after close; close twice gives the same answer', async () => {
    sink = await startSink();
    const { analytics, errors } = client(sink.url);
    const first = analytics.close();
    analytics.track({ name: 'late' });
    analytics.track({ name: 'late' });
    expect(analytics.close()).toBe(first);
    await first;
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ClosedError);
    expect((errors[0] as ClosedError).dropped).toBe(2);
    expect(analytics.stats().dropped).toBe(2);
    expect(sink.requests).toHaveLength(0);
  });
});

describe('the exit flush', () => {
  it('reports and counts as dropped the events it could not send, since no caller sees its result', async () => {
    const port = await freePort();
    const { analytics, errors } = client(`http://127.0.0.1:${port}`, { flushOnExit: true, closeTimeoutMs: 300, backoffMinMs: 50 });
    const ids = [analytics.track({ name: 'a' }), analytics.track({ name: 'b' }), analytics.track({ name: 'c' })];
    process.emit('beforeExit', 0);
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 3000 });
    const err = errors[0] as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.code).toBe('aborted');
    expect(err.events.map((e) => e.id)).toEqual(ids);
    expect(analytics.stats()).toMatchObject({ queued: 0, inFlight: 0, delivered: 0, failed: 0, dropped: 3 });
  });

  it('shares one process listener per event between instances, gone once all are closed', async () => {
    const events = ['beforeExit', 'SIGTERM', 'SIGINT'];
    const before = events.map((e) => process.listenerCount(e));
    const many = Array.from({ length: 25 }, () => client('http://127.0.0.1:9', { flushOnExit: true, handleSignals: true }).analytics);
    expect(events.map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
    await Promise.all(many.map((a) => a.close({ timeoutMs: 100 })));
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
  });

  it('does not report twice what a DeliveryError already reported', async () => {
    sink = await startSink();
    sink.fallback = () => ({ status: 401, body: { error: { code: 'unknown_write_key', message: 'no such key' } } });
    const { analytics, errors } = client(sink.url, { flushOnExit: true, closeTimeoutMs: 2000 });
    analytics.track({ name: 'x' });
    process.emit('beforeExit', 0);
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 3000 });
    await sleep(100);
    expect(errors.map((e) => e.code)).toEqual(['request_rejected']);
    expect(analytics.stats()).toMatchObject({ failed: 1, dropped: 0 });
  });
});

describe('the bounded queue', () => {
  it('drops the oldest on overflow, counts them and reports one error per burst', async () => {
    sink = await startSink();
    sink.fallback = () => 'hang';
    const { analytics, errors } = client(sink.url, { maxQueueSize: 100, flushAt: 10, maxInFlight: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push(analytics.track({ name: 'x', props: { i } }));
    await new Promise((r) => setTimeout(r, 20));
    // One batch of 10 is in flight (hanging); the queue holds the newest 100; 890 dropped.
    expect(analytics.stats()).toMatchObject({ queued: 100, inFlight: 10, dropped: 890 });
    const overflow = errors.filter((e): e is QueueOverflowError => e instanceof QueueOverflowError);
    expect(overflow).toHaveLength(1);
    expect(overflow[0]).toMatchObject({ code: 'queue_overflow', dropped: 890, totalDropped: 890, maxQueueSize: 100 });
    const result = await analytics.close({ timeoutMs: 300 });
    expect(result.unsent.map((e) => e.id).sort()).toEqual([...ids.slice(0, 10), ...ids.slice(900)].sort());
  });
});
