import { DiscardPolicy, RetentionPolicy, StorageType, nanos, type JetStreamManager, type StreamConfig } from 'nats';
import { DLQ_STREAM, DLQ_SUBJECTS, EVENTS_STREAM, EVENTS_SUBJECTS } from './nats-names.js';

/** 7 days of replayable history (the accepted event age) plus a day of margin. */
export const DEFAULT_STREAM_MAX_AGE_MS = 8 * 24 * 60 * 60 * 1000;
/** JetStream drops a re-published message id seen this recently (collector publish retries). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

export interface StreamSettings {
  replicas: number;
  maxAgeMs: number;
  duplicateWindowMs?: number;
}

/**
 * EVENTS and EVENTS_DLQ as every service creates them: the collector (first to publish) and the
 * aggregator (first to consume) must agree, whichever starts first.
 */
export function streamConfigs(s: StreamSettings): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
    max_age: nanos(s.maxAgeMs),
    duplicate_window: nanos(s.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
  };
  return [
    { name: EVENTS_STREAM, subjects: EVENTS_SUBJECTS, ...common },
    { name: DLQ_STREAM, subjects: DLQ_SUBJECTS, ...common },
  ];
}

/**
 * Creates EVENTS and EVENTS_DLQ when missing. An existing stream is left as it is: another
 * service (or an operator) may have created it, and changing the retention of live data is not a
 * service's decision at start-up.
 */
export async function ensureStreams(jsm: JetStreamManager, s: StreamSettings): Promise<void> {
  for (const cfg of streamConfigs(s)) {
    try {
      await jsm.streams.info(cfg.name);
      continue;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await jsm.streams.add(cfg);
    } catch (err) {
      // Lost a creation race with another service: fine if the stream now exists.
      await jsm.streams.info(cfg.name).catch(() => {
        throw err;
      });
    }
  }
}

/** A JetStream API "stream/consumer not found" answer (10059/10014 or a 404). */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string } | undefined;
  return e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || String(e?.code) === '404' || /not found/i.test(e?.message ?? '');
}

export { openBucket } from './kv-bucket.js';
