import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from 'nats';
import { EVENTS_INGEST_SUBJECT, EVENTS_STREAM, type RawStreamRecord, type StreamRecord } from '@pulse/protocol';
import { decodeMsgpack, decodeStreamMessage, encodeMsgpack, eventRecordOf, isRawRecord } from '@pulse/protocol/codec';
import { streamPublisher, type StreamPublisher } from '@pulse/protocol/publisher';
import { startNats, type TestNats } from '@pulse/testkit';
import { GroupCommitter } from '../src/nats/group-commit.js';
import { HEADER_ROOM_BYTES, JetStreamSink } from '../src/nats/jetstream-sink.js';
import { ensureStreams } from '../src/nats/streams.js';
import { StreamUnavailableError } from '../src/errors.js';
import { lastSeq, natsTools, sleep, type NatsTools } from './helpers.js';

function record(i: number, pad = 0): StreamRecord {
  return { site_id: 's_gc', received_at: Date.now(), ip: '', ua: 'x'.repeat(pad), country: '', events: [{ id: `gc-${i}`, name: 'e', ts: Date.now() }] };
}

/** A request whose events were all accepted, kept as its body; `pad` bytes of a field validation drops. */
function rawRecord(i: number, pad = 0): RawStreamRecord {
  const body = encodeMsgpack({ events: [{ id: `gc-${i}`, name: 'e', padding: 'p'.repeat(pad) }] });
  return { site_id: 's_gc', received_at: Date.now(), ip: '', ua: '', country: '', body, format: 'msgpack', max_event_age_ms: 86_400_000, id_base: `gc-${i}`, accepted: 1 };
}

describe('group commit against JetStream', () => {
  let nats: TestNats;
  let t: NatsTools;
  let publisher: StreamPublisher;

  beforeAll(async () => {
    nats = await startNats();
    t = await natsTools(nats.url);
    await ensureStreams(t.jsm, { replicas: 1, maxAgeMs: 86_400_000, duplicateWindowMs: 120_000 });
    publisher = streamPublisher(t.nc);
  });

  afterAll(async () => {
    publisher?.close();
    await t?.nc.close();
    await nats?.cleanup();
  });

  // Each sink its own instance id: msg ids repeated within the stream's duplicate window would be dropped.
  let sinks = 0;
  const sinkWith = (o: Partial<ConstructorParameters<typeof JetStreamSink>[3]> = {}) =>
    new JetStreamSink(publisher, () => 1024 * 1024, () => true, {
      maxMessageBytes: 256 * 1024,
      lingerMs: 5,
      maxInFlight: 4,
      maxQueuedBytes: 16 * 1024 * 1024,
      queueTimeoutMs: 5_000,
      publishTimeoutMs: 5_000,
      instanceId: `gctest${++sinks}`,
      ...o,
    });

  it('coalesces concurrent requests into few messages, each record exactly once, with Nats-Msg-Id', async () => {
    const before = await lastSeq(t.jsm);
    const sink = sinkWith();
    await Promise.all(Array.from({ length: 400 }, (_, i) => sink.publishRecord(record(i))));
    const after = await lastSeq(t.jsm);
    const messages = after - before;
    expect(messages).toBeGreaterThan(0);
    expect(messages).toBeLessThanOrEqual(40);
    const ids: string[] = [];
    const msgIds = new Set<string>();
    for (let seq = before + 1; seq <= after; seq++) {
      const m = await t.jsm.streams.getMessage(EVENTS_STREAM, { seq });
      expect(m.subject).toBe(EVENTS_INGEST_SUBJECT);
      msgIds.add(m.header.get('Nats-Msg-Id'));
      ids.push(...decodeStreamMessage(m.data).records.flatMap((r) => eventRecordOf(r).events.map((e) => e.id)));
    }
    expect(ids.sort()).toEqual(Array.from({ length: 400 }, (_, i) => `gc-${i}`).sort());
    expect([...msgIds].every((id) => /^gctest\d+-\d+$/.test(id))).toBe(true);
    expect(msgIds.size).toBe(messages);
  });

  it('frames a message holding a raw record as version 2 and one without as version 1', async () => {
    const before = await lastSeq(t.jsm);
    const sink = sinkWith();
    // Concurrent: coalesced into one message, mixed. Then one alone of each kind.
    await Promise.all(Array.from({ length: 20 }, (_, i) => sink.publishRecord(i % 2 ? rawRecord(i) : record(i))));
    await sink.publishRecord(record(100));
    await sink.publishRecord(rawRecord(101));
    const messages = [];
    for (let seq = before + 1; seq <= (await lastSeq(t.jsm)); seq++) messages.push(decodeStreamMessage((await t.jsm.streams.getMessage(EVENTS_STREAM, { seq })).data));
    for (const m of messages) expect(m.v).toBe(m.records.some(isRawRecord) ? 2 : 1);
    expect(messages.at(-2)?.v).toBe(1);
    expect(messages.at(-1)?.v).toBe(2);
    expect(messages.some((m) => m.records.length > 1 && m.v === 2 && !m.records.every(isRawRecord))).toBe(true);
    const ids = messages.flatMap((m) => m.records.flatMap((r) => eventRecordOf(r).events.map((e) => e.id)));
    expect(ids.sort()).toEqual([...Array.from({ length: 20 }, (_, i) => `gc-${i}`), 'gc-100', 'gc-101'].sort());
  });

  it('re-encodes the events of a raw record too large for a message, when they fit', async () => {
    const before = await lastSeq(t.jsm);
    // Room for ~8 KiB records: the 20 KiB body does not fit, its one event re-encoded does.
    const sink = new JetStreamSink(publisher, () => HEADER_ROOM_BYTES + 8 * 1024, () => true, {
      maxMessageBytes: 8 * 1024,
      lingerMs: 1,
      maxInFlight: 1,
      maxQueuedBytes: 1 << 20,
      queueTimeoutMs: 5_000,
      publishTimeoutMs: 5_000,
      instanceId: 'gcbig',
    });
    await sink.publishRecord(rawRecord(7, 20_000));
    expect(await lastSeq(t.jsm)).toBe(before + 1);
    const m = decodeMsgpack((await t.jsm.streams.getMessage(EVENTS_STREAM, { seq: before + 1 })).data) as { v: number; records: StreamRecord[] };
    expect(m.v).toBe(1);
    expect(m.records[0]?.events.map((e) => e.id)).toEqual(['gc-7']);
  });

  it('sends a lone record at once when nothing is in flight, without waiting the linger time', async () => {
    const sink = sinkWith({ lingerMs: 1_000 });
    const t0 = performance.now();
    await sink.publishRecord(record(9_999));
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('keeps every message under the byte bound', async () => {
    const before = await lastSeq(t.jsm);
    const sink = sinkWith({ maxMessageBytes: 8 * 1024 });
    await Promise.all(Array.from({ length: 64 }, (_, i) => sink.publishRecord(record(i, 1000))));
    const after = await lastSeq(t.jsm);
    expect(after - before).toBeGreaterThanOrEqual(8);
    for (let seq = before + 1; seq <= after; seq++) {
      const m = await t.jsm.streams.getMessage(EVENTS_STREAM, { seq });
      expect(m.data.byteLength).toBeLessThanOrEqual(8 * 1024);
    }
  });

  it('resolves each request only after the PubAck of the message holding it', async () => {
    const ackedAt = new Map<string, number>();
    const resolvedAt = new Map<string, number>();
    const gc = new GroupCommitter(
      { maxMessageBytes: 2 * 1024, lingerMs: 2, maxInFlight: 2, maxQueuedBytes: 1 << 20, queueTimeoutMs: 5_000 },
      async (data, msgID) => {
        const h = headers();
        h.set('Nats-Msg-Id', msgID);
        await publisher.publish(EVENTS_INGEST_SUBJECT, data, { headers: h });
        const now = performance.now();
        for (const r of decodeStreamMessage(data).records) for (const e of eventRecordOf(r).events) ackedAt.set(e.id, now);
      },
      'gcorder',
      () => 1 << 20,
      () => true,
    );
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => gc.submit(encodeMsgpack(record(i, 200))).then(() => resolvedAt.set(`gc-${i}`, performance.now()))),
    );
    expect(resolvedAt.size).toBe(60);
    expect(new Set(ackedAt.values()).size).toBeGreaterThan(1);
    for (const [id, t1] of resolvedAt) expect(t1).toBeGreaterThanOrEqual(ackedAt.get(id) ?? Infinity);
  });

  it('fails fast with StreamUnavailableError when the queue bound is reached, and never resolves unacknowledged work', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter(
      { maxMessageBytes: 4096, lingerMs: 0, maxInFlight: 1, maxQueuedBytes: 16 * 1024, queueTimeoutMs: 5_000 },
      async () => {
        await gate;
        throw new Error('publish failed');
      },
      'gcfull',
      () => 1 << 20,
      () => true,
    );
    const outcomes = Array.from({ length: 40 }, (_, i) => gc.submit(encodeMsgpack(record(i, 1000))).then(() => 'ok', (e: unknown) => e));
    await sleep(20);
    release();
    const results = await Promise.all(outcomes);
    expect(results.every((r) => r instanceof StreamUnavailableError)).toBe(true);
    expect(results.some((r) => (r as Error).message.includes('queue is full'))).toBe(true);
    await gc.flush();
  });

  it('refuses at once while NATS is not connected', async () => {
    const sink = new JetStreamSink(publisher, () => 1 << 20, () => false, {
      maxMessageBytes: 4096,
      lingerMs: 1,
      maxInFlight: 1,
      maxQueuedBytes: 1 << 20,
      queueTimeoutMs: 1_000,
      publishTimeoutMs: 1_000,
      instanceId: 'gcdown',
    });
    await expect(sink.publishRecord(record(1))).rejects.toBeInstanceOf(StreamUnavailableError);
  });
});
