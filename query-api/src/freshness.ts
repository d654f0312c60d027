import type { KV } from 'nats';
import { WATERMARK_KEY, within } from '@pulse/protocol';
import type { QueryStorage } from './storage.js';
import { EVENTS_TABLE } from './query/sql.js';
import { Refreshing } from './refreshing.js';

/** The watermark's JSON; only `complete_through` (ms epoch) is read here. */
interface Watermark {
  complete_through: number;
}

/** Where `meta.complete_through` comes from. */
export interface Freshness {
  /** ISO instant up to which stored numbers are complete, or null when nothing is stored yet. */
  completeThrough(): Promise<string | null>;
}

/**
 * Fallback freshness: the newest `received_at` in storage. The aggregator writes in stream order, so
 * every event received before that instant is stored too (within one aggregator's in-flight batch).
 * Refreshed in the background at most every `refreshMs`; requests use the last value.
 */
export class ReceivedAtFreshness implements Freshness {
  private readonly latest: Refreshing<string | null>;

  constructor(
    storage: QueryStorage,
    private readonly refreshMs: number,
    now: () => number,
  ) {
    this.latest = new Refreshing(
      async () => {
        const rows = await storage.query<{ t: number }>(`SELECT toUnixTimestamp64Milli(max(received_at)) AS t FROM ${EVENTS_TABLE}`);
        const t = rows[0]?.t;
        return typeof t === 'number' && t > 0 ? new Date(t).toISOString() : null;
      },
      refreshMs,
      now,
    );
  }

  completeThrough(): Promise<string | null> {
    return answer(this.latest, this.refreshMs);
  }
}

/**
 * The aggregator's watermark (`PULSE_STATE` key `watermark.events`, aggregator/src/watermark.ts):
 * every event received before `complete_through` is in storage. Read at most every `refreshMs`;
 * until an aggregator has published one, the `fallback` answers.
 */
export class WatermarkFreshness implements Freshness {
  private readonly latest: Refreshing<string | null>;

  constructor(
    kv: KV,
    fallback: Freshness,
    private readonly refreshMs: number,
    now: () => number,
  ) {
    this.latest = new Refreshing(
      async () => {
        const entry = await kv.get(WATERMARK_KEY);
        const w = entry && entry.operation === 'PUT' ? (JSON.parse(new TextDecoder().decode(entry.value)) as Partial<Watermark>) : undefined;
        return typeof w?.complete_through === 'number' && Number.isFinite(w.complete_through)
          ? new Date(w.complete_through).toISOString()
          : fallback.completeThrough();
      },
      refreshMs,
      now,
    );
  }

  completeThrough(): Promise<string | null> {
    return answer(this.latest, this.refreshMs);
  }
}

/**
 * The first request waits for a load; later ones get the last value and refresh it in the
 * background, unless nobody asked for a while: a value minutes old would go out with the answer
 * (and stay in the answer cache), so that request waits for a fresh one (a KV or storage read),
 * for at most MAX_FRESHNESS_WAIT_MS. An older value is still true (everything before it is
 * stored), so while NATS is out of reach answers carry it rather than wait for the KV's timeout.
 */
async function answer(latest: Refreshing<string | null>, refreshMs: number): Promise<string | null> {
  if (!latest.loaded) return latest.refresh();
  if (latest.olderThan(STALE_AFTER_REFRESHES * refreshMs)) {
    const refreshing = latest.refresh();
    refreshing.catch(() => undefined);
    return within(refreshing, MAX_FRESHNESS_WAIT_MS, () => new Error('freshness read too slow')).catch(() => latest.current ?? null);
  }
  latest.refreshIfStale();
  return latest.current ?? null;
}

/** Beyond this many refresh periods the last value is too old to answer with. */
const STALE_AFTER_REFRESHES = 2;
/** How long an answer waits for a fresh watermark before it goes out with the last one. */
export const MAX_FRESHNESS_WAIT_MS = 500;

export { WATERMARK_KEY };
