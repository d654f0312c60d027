import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { DLQ_STREAM, EVENTS_STREAM } from './nats-names.js';
import { DEFAULT_DUPLICATE_WINDOW_MS, ensureStreams, isNotFound } from './streams.js';

describe('ensureStreams (real nats-server)', () => {
  let nats: ConnectedNats;
  beforeAll(async () => {
    nats = await startConnectedNats();
  });
  afterAll(() => nats?.cleanup());

  it('creates both streams once and leaves an existing one as it is', async () => {
    const jsm = await nats.nc.jetstreamManager();
    await expect(jsm.streams.info(EVENTS_STREAM)).rejects.toSatisfy(isNotFound);
    // Two services starting at once.
    await Promise.all([ensureStreams(jsm, { replicas: 1, maxAgeMs: 3_600_000 }), ensureStreams(jsm, { replicas: 1, maxAgeMs: 3_600_000 })]);
    const events = await jsm.streams.info(EVENTS_STREAM);
    expect(events.config.max_age).toBe(3_600_000 * 1_000_000);
    expect(events.config.duplicate_window).toBe(DEFAULT_DUPLICATE_WINDOW_MS * 1_000_000);
    expect((await jsm.streams.info(DLQ_STREAM)).config.subjects).toEqual(['dlq.>']);
    await ensureStreams(jsm, { replicas: 1, maxAgeMs: 7_200_000 });
    expect((await jsm.streams.info(EVENTS_STREAM)).config.max_age).toBe(3_600_000 * 1_000_000);
  });
});
