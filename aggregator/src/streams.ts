import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import {
  AGGREGATOR_CONSUMER,
  DLQ_STREAM,
  DLQ_SUBJECTS,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
} from '@pulse/protocol';

export interface StreamSettings {
  maxAgeMs: number;
  replicas: number;
}

/** 7 days of replayable history (the accepted event age) plus a day of margin. */
export const DEFAULT_STREAM_MAX_AGE_MS = 8 * 24 * 60 * 60 * 1000;
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

function streamConfig(name: string, subjects: string[], s: StreamSettings): Partial<StreamConfig> {
  return {
    name,
    subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(s.maxAgeMs),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: s.replicas,
  };
}

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await jsm.streams.add(cfg);
  } catch (err) {
    // A collector or another aggregator created it between our look and our add.
    await jsm.streams.info(cfg.name).catch(() => {
      throw err;
    });
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10059 || e?.code === '404' || /not found/i.test(e?.message ?? '');
}

/** Creates EVENTS and EVENTS_DLQ when missing (same config as the collector); existing ones are left as they are. */
export async function ensureStreams(jsm: JetStreamManager, s: StreamSettings): Promise<void> {
  await ensureStream(jsm, { ...streamConfig(EVENTS_STREAM, EVENTS_SUBJECTS, s), name: EVENTS_STREAM });
  await ensureStream(jsm, { ...streamConfig(DLQ_STREAM, DLQ_SUBJECTS, s), name: DLQ_STREAM });
}

export interface ConsumerSettings {
  ackWaitMs: number;
  maxAckPending: number;
}

/**
 * The durable pull consumer every aggregator shares. Unlimited deliveries: a message is only
 * ever finished by an ack after ClickHouse has its rows, or by a term after it went to the DLQ.
 */
export async function ensureConsumer(jsm: JetStreamManager, c: ConsumerSettings): Promise<void> {
  try {
    await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: AGGREGATOR_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(c.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: c.maxAckPending,
  });
}
