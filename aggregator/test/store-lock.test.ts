import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { startNats, type TestNats } from '@pulse/testkit';
import { KV_STORE_LOCK, natsStoreLock } from '../src/store-lock.js';

let server: TestNats;
const conns: NatsConnection[] = [];

beforeEach(async () => {
  server = await startNats();
});
afterEach(async () => {
  for (const c of conns.splice(0)) await c.close();
  await server.cleanup();
});

/** A holder as another process would be: its own connection. */
async function holder(leaseMs: number) {
  const nc = await connect({ servers: server.url });
  conns.push(nc);
  return natsStoreLock(nc.jetstream(), { leaseMs });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the store lock in NATS KV', () => {
  it('lets one holder at a time in, and every waiter gets its turn', async () => {
    const locks = await Promise.all([holder(10_000), holder(10_000), holder(10_000)]);
    let inside = 0;
    let most = 0;
    let done = 0;
    await Promise.all(
      locks.flatMap((lock) =>
        Array.from({ length: 5 }, async () => {
          const release = await lock.acquire();
          inside++;
          most = Math.max(most, inside);
          await sleep(5);
          inside--;
          done++;
          await release();
        }),
      ),
    );
    expect(done).toBe(15);
    expect(most).toBe(1);
  });

  it('keeps the lock past its lease while the holder lives, and frees it within the lease once it is dead', async () => {
    const leaseMs = 1500;
    const [a, b] = [await holder(leaseMs), await holder(leaseMs)];
    const releaseA = await a.acquire();
    let bAt = 0;
    const started = Date.now();
    const bTurn = b.acquire().then((release) => {
      bAt = Date.now();
      return release;
    });
    // Renewed every quarter lease: still A's after twice the lease.
    await sleep(2 * leaseMs);
    expect(bAt).toBe(0);
    await releaseA();
    await (await bTurn)();
    expect(bAt - started).toBeGreaterThanOrEqual(2 * leaseMs);

    // A dead holder: its entry is there and nobody renews it.
    const nc = conns[0] as NatsConnection;
    const kv = await nc.jetstream().views.kv(KV_STORE_LOCK);
    await kv.create('store', new TextEncoder().encode('agg_dead'));
    const waitFrom = Date.now();
    const release = await b.acquire();
    const waited = Date.now() - waitFrom;
    await release();
    expect(waited).toBeGreaterThan(leaseMs / 2);
    expect(waited).toBeLessThan(leaseMs + 3000);
  });
});
