import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { acquireSwapSlot, joinFence, memberIds } from '../src/fence.js';
import { silentLogger } from '../src/log.js';

let nats: ConnectedNats;

beforeAll(async () => {
  nats = await startConnectedNats();
});

afterAll(() => nats?.cleanup());

describe('swap fence', () => {
  it('lists live and stopped members in one request, and a raised fence waits for the live one only', async () => {
    const js = nats.nc.jetstream();
    const live = await joinFence(js, silentLogger);
    const stopped = await joinFence(js, silentLogger);
    await stopped.stop();
    // The stopped member's delete marker is still there (until the bucket's TTL): listed, then read as gone.
    expect(await memberIds(await js.jetstreamManager())).toHaveLength(2);

    const slot = await acquireSwapSlot(js, { replayId: 'rp_00000000000000aa', copyTtlMs: 10_000, fenceTtlMs: 10_000, ackTimeoutMs: 5_000, cancelled: () => false });
    // A live insert in flight holds the fence up until it leaves.
    await live.enter(() => {}, () => undefined);
    let raised = false;
    const raising = slot.raise().then(() => (raised = true));
    await new Promise((ok) => setTimeout(ok, 300));
    expect(raised).toBe(false);
    live.leave();
    await raising;
    // While fenced, a new insert waits; after the release it goes on.
    let entered = false;
    const entering = live.enter(() => {}, () => undefined).then(() => (entered = true));
    await new Promise((ok) => setTimeout(ok, 200));
    expect(entered).toBe(false);
    await slot.release();
    await entering;
    live.leave();
    await live.stop();
  });
});
