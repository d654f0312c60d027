import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { USAGE_SHARE_KEYS_PER_MESSAGE, UsageShare } from './usage-share.js';

let nats: ConnectedNats;
let other: NatsConnection;
beforeAll(async () => {
  nats = await startConnectedNats();
  other = await connect({ servers: nats.server.url });
});
afterAll(async () => {
  await other?.close();
  await nats?.cleanup();
});

function sharing(nc: NatsConnection, subject: string) {
  const seen = new Map<string, number>();
  const share = new UsageShare({ nc, subject, intervalMs: 20, onRemote: (k, n) => seen.set(k, (seen.get(k) ?? 0) + n) });
  share.start();
  return { share, seen };
}

const settle = async (until: () => boolean) => {
  const end = Date.now() + 5_000;
  while (!until() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe('UsageShare', () => {
  it("charges each process with what the others used, never with its own, summed per key", async () => {
    const a = sharing(nats.nc, 'test.usage.1');
    const b = sharing(other, 'test.usage.1');
    const c = sharing(other, 'test.usage.1');
    await nats.nc.flush();
    await other.flush();
    a.share.record('k1', 3);
    a.share.record('k1', 4);
    a.share.record('k2', 1);
    b.share.record('k1', 10);
    await settle(() => b.seen.get('k1') === 7 && a.seen.get('k1') === 10 && c.seen.get('k1') === 17);
    expect(Object.fromEntries(a.seen)).toEqual({ k1: 10 });
    expect(Object.fromEntries(b.seen)).toEqual({ k1: 7, k2: 1 });
    expect(Object.fromEntries(c.seen)).toEqual({ k1: 17, k2: 1 });
    for (const s of [a, b, c]) s.share.stop();
  });

  it('splits many keys over several messages and ignores malformed ones', async () => {
    const a = sharing(nats.nc, 'test.usage.2');
    const b = sharing(other, 'test.usage.2');
    await nats.nc.flush();
    await other.flush();
    for (const bad of ['not json', '{"from":"x","usage":[["k",-1],["k","2"],[3,1],"k",["k",1e999]]}', 'null', '[]']) {
      other.publish('test.usage.2', new TextEncoder().encode(bad));
    }
    const n = USAGE_SHARE_KEYS_PER_MESSAGE * 2 + 5;
    for (let i = 0; i < n; i++) a.share.record(`key${i}`, 1);
    await settle(() => b.seen.size === n);
    expect(b.seen.size).toBe(n);
    expect([...b.seen.values()].every((v) => v === 1)).toBe(true);
    expect(b.seen.has('k')).toBe(false);
    a.share.stop();
    b.share.stop();
  });

  it('publishes what is pending when stopped, and nothing afterwards', async () => {
    const a = new UsageShare({ nc: nats.nc, subject: 'test.usage.3', intervalMs: 60_000, onRemote: () => undefined });
    const b = sharing(other, 'test.usage.3');
    a.start();
    await other.flush();
    a.record('k', 5);
    a.stop();
    await settle(() => b.seen.get('k') === 5);
    expect(b.seen.get('k')).toBe(5);
    a.record('k', 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.seen.get('k')).toBe(5);
    b.share.stop();
  });
});
