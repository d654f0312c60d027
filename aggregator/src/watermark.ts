import type { JetStreamManager, KV } from 'nats';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM } from '@pulse/protocol';

/** KV key in `PULSE_STATE` holding the watermark JSON (see ARCHITECTURE.md). */
export const WATERMARK_KEY = 'watermark.events';
/**
 * How long a collector may hold an event between receiving it and JetStream storing it
 * (group commit, publish retries). The watermark stays this far behind the stream.
 */
export const DEFAULT_WATERMARK_MARGIN_MS = 10_000;

export interface Watermark {
  /** ms epoch: every event with received_at before this is in ClickHouse. */
  complete_through: number;
  /** ms epoch of the computation. */
  updated_at: number;
  /** Stream sequence up to which every message is finished (acked or dead-lettered). */
  ack_floor: number;
}

export interface Lag {
  pending: number;
  ackPending: number;
  /** Age of the oldest unfinished message, 0 when caught up. */
  oldestAgeMs: number;
  watermark: Watermark;
}

/**
 * Lag and watermark from the shared consumer: everything up to the ack floor is stored; the first
 * unfinished message was stored by JetStream at time t, and a collector publishes an event at
 * most `marginMs` after receiving it, so events received before t − margin are all in.
 */
export async function measureLag(jsm: JetStreamManager, marginMs: number, now = Date.now()): Promise<Lag> {
  const info = await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
  const floor = info.ack_floor.stream_seq;
  let oldest: number | undefined;
  if (info.num_pending + info.num_ack_pending > 0) {
    oldest = await firstUnfinishedTime(jsm, floor + 1);
  }
  const completeThrough = (oldest ?? now) - marginMs;
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    oldestAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
    watermark: { complete_through: completeThrough, updated_at: now, ack_floor: floor },
  };
}

async function firstUnfinishedTime(jsm: JetStreamManager, seq: number): Promise<number | undefined> {
  try {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
    return m.time.getTime();
  } catch {
    // Gone (max_age) or never existed: the stream's first message is the oldest candidate.
    const s = await jsm.streams.info(EVENTS_STREAM);
    if (s.state.messages === 0) return undefined;
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq: Math.max(seq, s.state.first_seq) }).catch(() => undefined);
    return m?.time.getTime();
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Publishes the watermark; it only moves forward, whichever aggregator writes it. */
export async function publishWatermark(kv: KV, w: Watermark): Promise<void> {
  const cur = await kv.get(WATERMARK_KEY);
  if (cur && cur.operation === 'PUT') {
    const old = JSON.parse(dec.decode(cur.value)) as Watermark;
    if (old.complete_through >= w.complete_through) return;
    await kv.update(WATERMARK_KEY, enc.encode(JSON.stringify(w)), cur.revision).catch(() => {
      // Someone else advanced it concurrently; theirs is as good.
    });
    return;
  }
  await kv.create(WATERMARK_KEY, enc.encode(JSON.stringify(w))).catch(() => {});
}

export async function readWatermark(kv: KV): Promise<Watermark | undefined> {
  const cur = await kv.get(WATERMARK_KEY);
  return cur && cur.operation === 'PUT' ? (JSON.parse(dec.decode(cur.value)) as Watermark) : undefined;
}
