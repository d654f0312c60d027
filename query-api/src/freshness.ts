import type { KV } from 'nats';
import { WATERMARK_KEY } from '@pulse/protocol';
import type { QueryStorage } from './storage.js';
import { EVENTS_TABLE } from './query/sql.js';

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
  private value: string | null = null;
  private at = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly storage: QueryStorage,
    private readonly refreshMs: number,
    private readonly now: () => number,
  ) {}

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const rows = await this.storage.query<{ t: number }>(
          `SELECT toUnixTimestamp64Milli(max(received_at)) AS t FROM ${EVENTS_TABLE}`,
        );
        const t = rows[0]?.t;
        this.value = typeof t === 'number' && t > 0 ? new Date(t).toISOString() : null;
        this.at = this.now();
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  async completeThrough(): Promise<string | null> {
    if (this.at === 0) await this.refresh();
    else if (this.now() - this.at > this.refreshMs) this.refresh().catch(() => {});
    return this.value;
  }
}

/**
 * The aggregator's watermark (`PULSE_STATE` key `watermark.events`, aggregator/src/watermark.ts):
 * every event received before `complete_through` is in storage. Read at most every `refreshMs`;
 * until an aggregator has published one, the `fallback` answers.
 */
export class WatermarkFreshness implements Freshness {
  private value: string | null = null;
  private at = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly kv: KV,
    private readonly fallback: Freshness,
    private readonly refreshMs: number,
    private readonly now: () => number,
  ) {}

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const entry = await this.kv.get(WATERMARK_KEY);
        const w = entry && entry.operation === 'PUT' ? (JSON.parse(new TextDecoder().decode(entry.value)) as Partial<Watermark>) : undefined;
        this.value =
          typeof w?.complete_through === 'number' && Number.isFinite(w.complete_through)
            ? new Date(w.complete_through).toISOString()
            : await this.fallback.completeThrough();
        this.at = this.now();
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  async completeThrough(): Promise<string | null> {
    if (this.at === 0) await this.refresh();
    else if (this.now() - this.at > this.refreshMs) this.refresh().catch(() => {});
    return this.value;
  }
}

export { WATERMARK_KEY };
