import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGGREGATOR_CONSUMER, DEFAULT_MAX_EVENT_AGE_MS, DLQ_STREAM, EVENTS_INGEST_SUBJECT, EVENTS_STREAM, type AnyStreamRecord, type RawStreamRecord } from '@pulse/protocol';
import { encodeMsgpack, encodeStreamMessage } from '@pulse/protocol/codec';
import { createAggregator, silentLogger, type Aggregator } from '../src/index.js';
import { count, fixture, record, SITE, UA_IPHONE, waitFor, type Fixture } from './helpers/fixture.js';

// Version 2 stream messages (raw request bodies, as the collector writes them when it accepts a
// whole batch) through the real aggregator: stored exactly once, broken ones dead-lettered.

let f: Fixture;
const running: Aggregator[] = [];

beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  await f.cleanup();
});

async function start(): Promise<Aggregator> {
  const a = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger, retryInitialMs: 50, retryMaxMs: 200 });
  running.push(a);
  await a.start();
  return a;
}

/** A request body of `n` events without client ids, kept raw, as the collector does. */
function raw(idBase: string, n: number, receivedAt = Date.now() - 60_000): RawStreamRecord {
  const events = Array.from({ length: n }, (_, i) => ({ name: 'pageview', url: `https://shop.example.com/r/${i}`, visitor_id: 'v-raw', ts: receivedAt - 2_000 + i }));
  return {
    site_id: SITE,
    received_at: receivedAt,
    ip: '198.51.100.4',
    ua: UA_IPHONE,
    country: 'FR',
    body: encodeMsgpack({ sent_at: receivedAt - 1_000, events }),
    format: 'msgpack',
    max_event_age_ms: DEFAULT_MAX_EVENT_AGE_MS,
    id_base: idBase,
    accepted: n,
  };
}

async function publishV2(records: AnyStreamRecord[], msgID: string): Promise<number> {
  return (await f.js.publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage({ v: 2, records }), { msgID })).seq;
}

async function acked(seq: number): Promise<void> {
  const jsm = await f.nc.jetstreamManager();
  await waitFor(`ack of ${seq}`, async () => (await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER)).ack_floor.stream_seq >= seq);
}

describe('version 2 stream messages', () => {
  it('stores raw and re-encoded records of one message, and the same message stored twice counts once', async () => {
    await start();
    const at = Date.now() - 60_000;
    const seq = await publishV2([raw('inst-1', 3, at), record({}, 2), raw('inst-2', 1, at)], 'collector-x-1');
    await acked(seq);
    expect(await count(f.storage)).toBe(6);
    const rows = await f.storage.query<{ event_id: string; ts: string; country: string; browser: string; stream_seq: number }>(
      `SELECT event_id, toUnixTimestamp64Milli(ts) AS ts, country, browser, stream_seq FROM events WHERE event_id LIKE 'inst-%' ORDER BY event_id`,
    );
    expect(rows.map((r) => r.event_id)).toEqual(['inst-1.0', 'inst-1.1', 'inst-1.2', 'inst-2.0']);
    // ts corrected with sent_at (a second of skew), as the collector's validation does.
    expect(rows.map((r) => Number(r.ts))).toEqual([at - 1_000, at - 999, at - 998, at - 1_000]);
    expect(rows.map((r) => [r.country, r.browser, Number(r.stream_seq)])).toEqual(rows.map(() => ['FR', 'Mobile Safari', seq]));
    // The same bytes again under another Nats-Msg-Id (a collector's retry past the duplicate
    // window): another sequence, the same ids, nothing counted twice.
    const again = await publishV2([raw('inst-1', 3, at), raw('inst-2', 1, at)], 'collector-x-2');
    await acked(again);
    expect(await count(f.storage)).toBe(6);
  });

  it('dead-letters a message whose raw body no longer validates identically and stores its neighbours', async () => {
    await start();
    const good = raw('inst-3', 2);
    const body = new Uint8Array(good.body);
    const bad = await publishV2([record({}, 1), { ...good, body: body.subarray(0, body.length - 4) }], 'collector-y-1');
    const next = await publishV2([good], 'collector-y-2');
    await acked(next);
    expect(await count(f.storage)).toBe(2);
    const jsm = await f.nc.jetstreamManager();
    await waitFor('dead letter', async () => (await jsm.streams.info(DLQ_STREAM)).state.messages === 1);
    const dead = await jsm.streams.getMessage(DLQ_STREAM, { seq: 1 });
    expect(Number(dead.header.get('Pulse-Source-Seq'))).toBe(bad);
    expect(dead.header.get('Pulse-Dlq-Reason')).toMatch(/raw record body no longer reads as a batch/);
  });
});
