import { describe, expect, it } from 'vitest';
import type { KV } from 'nats';
import { WATERMARK_KEY } from '@pulse/protocol';
import { MAX_FRESHNESS_WAIT_MS, WatermarkFreshness, type Freshness } from './freshness.js';

/** A KV holding one watermark (or hanging, as a frozen NATS does), and a clock the test moves. */
function setup(refreshMs: number) {
  let now = 1_000_000;
  let watermark = 0;
  let hang = false;
  const kv = {
    get: async (key: string) => {
      if (hang) return new Promise(() => undefined);
      return key === WATERMARK_KEY ? { operation: 'PUT', value: new TextEncoder().encode(JSON.stringify({ complete_through: watermark })) } : null;
    },
  } as unknown as KV;
  const fallback: Freshness = { completeThrough: async () => null };
  const freshness = new WatermarkFreshness(kv, fallback, refreshMs, () => now);
  return {
    freshness,
    set: (ms: number) => (watermark = ms),
    advance: (ms: number) => (now += ms),
    freeze: () => (hang = true),
  };
}

describe('WatermarkFreshness', () => {
  it('answers the last value within the refresh period and refreshes it behind the answer', async () => {
    const s = setup(2_000);
    s.set(Date.UTC(2026, 0, 1, 12));
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:00:00.000Z');
    s.set(Date.UTC(2026, 0, 1, 12, 0, 1));
    s.advance(2_500);
    // Stale by half a period: this answer has the old value, the next one the new.
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:00:00.000Z');
    await new Promise((r) => setTimeout(r, 0));
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:00:01.000Z');
  });

  it('waits for a fresh value after a quiet spell instead of answering one minutes old', async () => {
    const s = setup(2_000);
    s.set(Date.UTC(2026, 0, 1, 12));
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:00:00.000Z');
    s.set(Date.UTC(2026, 0, 1, 12, 1, 10));
    s.advance(70_000);
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:01:10.000Z');
  });

  it('answers the last value after a bounded wait when the KV does not answer', async () => {
    const s = setup(2_000);
    s.set(Date.UTC(2026, 0, 1, 12));
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:00:00.000Z');
    s.freeze();
    s.advance(70_000);
    const asked = performance.now();
    expect(await s.freshness.completeThrough()).toBe('2026-01-01T12:00:00.000Z');
    const waited = performance.now() - asked;
    expect(waited).toBeGreaterThanOrEqual(MAX_FRESHNESS_WAIT_MS - 5);
    expect(waited).toBeLessThan(MAX_FRESHNESS_WAIT_MS + 500);
  });
});
