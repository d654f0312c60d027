import { nanos } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM } from '@pulse/protocol';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { ensureConsumer, ensureStreams } from '../src/streams.js';

let nats: ConnectedNats;

beforeAll(async () => {
  nats = await startConnectedNats();
});

afterAll(() => nats?.cleanup());

describe('ensureConsumer', () => {
  it('creates the shared consumer, then brings an existing one to the configured ack wait and window', async () => {
    const jsm = await nats.nc.jetstreamManager();
    await ensureStreams(jsm, { maxAgeMs: 3_600_000, replicas: 1 });
    await ensureConsumer(jsm, { ackWaitMs: 60_000, maxAckPending: 20_000 });
    expect((await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER)).config.ack_wait).toBe(nanos(60_000));
    await ensureConsumer(jsm, { ackWaitMs: 30_000, maxAckPending: 5_000 });
    const { config } = await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    expect(config.ack_wait).toBe(nanos(30_000));
    expect(config.max_ack_pending).toBe(5_000);
    expect(config.durable_name).toBe(AGGREGATOR_CONSUMER);
  });
});
