import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { KV_STATE } from '@pulse/protocol';
import { kvSaltSource, pruneSalts, saltKey } from '../src/salt.js';

let nats: ConnectedNats;
beforeEach(async () => {
  nats = await startConnectedNats();
});
afterEach(() => nats.cleanup());

const DAY = 24 * 60 * 60 * 1000;

describe('daily salts in PULSE_STATE', () => {
  it('gives every aggregator the same salt for a day and a different one the next day', async () => {
    const kv = await nats.nc.jetstream().views.kv(KV_STATE, { history: 1 });
    const a = kvSaltSource(kv, 9 * DAY);
    const b = kvSaltSource(kv, 9 * DAY);
    // Today, 08:00 UTC: the source that creates a salt prunes those older than the retention by the
    // real clock, so a fixed date would have its fresh salt pruned under the other source's read.
    const t = Math.floor(Date.now() / DAY) * DAY + 8 * 3600_000;
    const [sa, sb] = await Promise.all([a.saltFor(t), b.saltFor(t + 3600_000)]);
    expect(sa).toMatch(/^[0-9a-f]{64}$/);
    expect(sb).toBe(sa);
    expect(await a.saltFor(t + DAY)).not.toBe(sa);
  });

  it('prunes salts older than the retention and keeps the rest', async () => {
    const kv = await nats.nc.jetstream().views.kv(KV_STATE, { history: 1 });
    const now = Date.UTC(2026, 10, 26, 12);
    for (const day of ['2026-11-10', '2026-11-16', '2026-11-17', '2026-11-26']) await kv.put(saltKey(day), new TextEncoder().encode('x'));
    await kv.put('watermark.events', new TextEncoder().encode('{}'));
    const pruned = await pruneSalts(kv, 9 * DAY, now);
    expect(pruned.sort()).toEqual(['salt.2026-11-10', 'salt.2026-11-16']);
    const left: string[] = [];
    for await (const k of await kv.keys()) left.push(k);
    expect(left.sort()).toEqual(['salt.2026-11-17', 'salt.2026-11-26', 'watermark.events']);
  });
});
