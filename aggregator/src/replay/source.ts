import { DeliverPolicy, millis, type JetStreamClient, type JetStreamManager } from 'nats';
import { EVENTS_STREAM } from '@pulse/protocol';
import { countArchive, readArchive } from '../archive.js';
import type { SourceMessage } from '../pipeline.js';
import type { Storage } from '../storage/types.js';

export interface SourceBatch {
  from: 'stream' | 'archive';
  msgs: SourceMessage[];
}

export interface SourcePlan {
  /** Messages with a sequence below this come from the archive (the stream no longer has them). */
  streamFirstSeq: number;
  /** Estimated number of messages to read (for progress). */
  total: number;
}

export interface SourceWindow {
  /** Stream time (ms epoch) to start from. */
  fromTime: number;
  /** Stream time after which no message can hold an event of the range: reading stops there. */
  untilTime: number;
  /** Last sequence to read (inclusive). */
  cutSeq: number;
  batch: number;
}

interface StreamFacts {
  firstSeq: number;
  firstTime: number | undefined;
}

async function streamFacts(jsm: JetStreamManager): Promise<StreamFacts> {
  try {
    const info = await jsm.streams.info(EVENTS_STREAM);
    if (info.state.messages === 0) return { firstSeq: info.state.last_seq + 1, firstTime: undefined };
    const first = await jsm.streams.getMessage(EVENTS_STREAM, { seq: info.state.first_seq }).catch(() => undefined);
    return { firstSeq: info.state.first_seq, firstTime: first?.time.getTime() };
  } catch {
    // No stream at all: everything comes from the archive.
    return { firstSeq: Number.MAX_SAFE_INTEGER, firstTime: undefined };
  }
}

/**
 * Where each part of the window comes from, chosen automatically: the stream where it still has
 * the messages, the ClickHouse archive for what the stream dropped (max_age, purge).
 */
export async function planSource(jsm: JetStreamManager, storage: Storage, w: SourceWindow): Promise<SourcePlan & { archiveCount: number }> {
  const facts = await streamFacts(jsm);
  // The stream covers the window when its oldest message is older than the window start.
  const streamCoversAll = facts.firstTime !== undefined && facts.firstTime <= w.fromTime;
  const streamFirstSeq = streamCoversAll ? 0 : facts.firstSeq;
  const archiveCount = streamFirstSeq > 0 ? await countArchive(storage, { fromTime: w.fromTime, toSeq: Math.min(w.cutSeq, streamFirstSeq - 1) }) : 0;
  const streamPart = w.cutSeq >= facts.firstSeq ? w.cutSeq - facts.firstSeq + 1 : 0;
  return { streamFirstSeq, archiveCount, total: archiveCount + streamPart };
}

/** The window's messages in sequence order: first from the archive, then from the stream. */
export async function* readSource(
  js: JetStreamClient,
  storage: Storage,
  w: SourceWindow,
  plan: SourcePlan,
  onStreamStart: (firstSeq: number) => void,
): AsyncGenerator<SourceBatch> {
  let after = 0;
  const archiveTo = Math.min(w.cutSeq, plan.streamFirstSeq - 1);
  while (after < archiveTo) {
    const msgs = await readArchive(storage, { fromTime: w.fromTime, afterSeq: after, toSeq: archiveTo, limit: w.batch });
    if (msgs.length === 0) break;
    after = msgs[msgs.length - 1]?.seq ?? archiveTo;
    const inWindow = msgs.filter((m) => m.time <= w.untilTime);
    if (inWindow.length > 0) yield { from: 'archive', msgs: inWindow };
    if (inWindow.length < msgs.length) return;
  }
  if (w.cutSeq < Math.max(plan.streamFirstSeq, after + 1)) return;

  // An ordered ephemeral consumer: flow-controlled, no acks, gone when we stop.
  const startSeq = Math.max(plan.streamFirstSeq, after + 1);
  const consumer = await js.consumers.get(
    EVENTS_STREAM,
    plan.streamFirstSeq === 0 && after === 0
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(w.fromTime).toISOString() }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq },
  );
  let first = true;
  for (;;) {
    const iter = await consumer.fetch({ max_messages: w.batch, expires: 2000 });
    const msgs: SourceMessage[] = [];
    let done = false;
    for await (const m of iter) {
      if (first) {
        onStreamStart(m.seq);
        first = false;
      }
      if (m.seq > w.cutSeq || millis(m.info.timestampNanos) > w.untilTime) {
        done = true;
        break;
      }
      msgs.push({ seq: m.seq, data: m.data });
      if (m.seq === w.cutSeq || m.info.pending === 0) done = true;
    }
    if (msgs.length > 0) yield { from: 'stream', msgs };
    // Nothing more in the stream (the cut's message may have been removed meanwhile).
    if (done || msgs.length === 0) return;
  }
}
