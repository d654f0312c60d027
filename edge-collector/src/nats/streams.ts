import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import { DLQ_STREAM, DLQ_SUBJECTS, EVENTS_STREAM, EVENTS_SUBJECTS } from '@pulse/protocol';

export interface StreamSettings {
  replicas: number;
  maxAgeMs: number;
  duplicateWindowMs: number;
}

const ms2ns = (ms: number) => ms * 1_000_000;

export function streamConfigs(s: StreamSettings): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
    max_age: ms2ns(s.maxAgeMs),
    duplicate_window: ms2ns(s.duplicateWindowMs),
  };
  return [
    { name: EVENTS_STREAM, subjects: EVENTS_SUBJECTS, ...common },
    { name: DLQ_STREAM, subjects: DLQ_SUBJECTS, ...common },
  ];
}

/**
 * Creates EVENTS and EVENTS_DLQ when missing. An existing stream is left as it
 * is: another service (or an operator) may have created it, and changing the
 * retention of live data is not a collector's decision.
 */
export async function ensureStreams(jsm: JetStreamManager, s: StreamSettings): Promise<void> {
  for (const cfg of streamConfigs(s)) {
    try {
      await jsm.streams.info(cfg.name);
      continue;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      await jsm.streams.add(cfg);
    } catch (e) {
      // Lost a creation race with another service: fine if the stream now exists.
      await jsm.streams.info(cfg.name).catch(() => {
        throw e;
      });
    }
  }
}

function isNotFound(e: unknown): boolean {
  const err = e as { code?: string | number; api_error?: { err_code?: number }; message?: string };
  return err?.api_error?.err_code === 10059 || String(err?.code) === '404' || /stream not found/i.test(err?.message ?? '');
}
