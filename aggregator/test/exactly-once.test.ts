import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM } from '@pulse/protocol';
import { createAggregator, ensureStreams, silentLogger, type Aggregator } from '../src/index.js';
import { createStorage } from '../src/storage/index.js';
import { faulty } from './helpers/faulty-storage.js';
import { count, fixture, publish, record, waitFor, type Fixture } from './helpers/fixture.js';

let f: Fixture;
const conns: NatsConnection[] = [];
const running: Aggregator[] = [];

beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const c of conns.splice(0)) await c.close();
  await f.cleanup();
});

async function consumer() {
  const jsm = await f.nc.jetstreamManager();
  return jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
}

describe('exactly once', () => {
  it('counts an event an SDK sent twice (two requests, two stream messages) once', async () => {
    const a = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger });
    running.push(a);
    await a.start();
    const r = record({}, 3);
    await publish(f.js, [r], 'collector-a-1');
    await waitFor('first copy', async () => (await count(f.storage)) === 3);
    // The retry reaches another collector: new message id, new stream sequence, same event ids,
    // a clock correction a few ms apart.
    const retry = { ...r, received_at: r.received_at + 5000, events: r.events.map((e) => ({ ...e, ts: e.ts + 3 })) };
    const seq = await publish(f.js, [retry, record({}, 1)], 'collector-b-9');
    await waitFor('acked', async () => (await consumer()).ack_floor.stream_seq === seq);
    expect(await count(f.storage)).toBe(4);
    // The rollups saw each event once too.
    const [roll] = await f.storage.query<{ n: number }>('SELECT sum(events) AS n FROM rollup_events_minute');
    expect(roll?.n).toBe(4);
  });

  it('two aggregators sharing the consumer store exact totals', async () => {
    for (let i = 0; i < 2; i++) {
      const nc = await connect({ servers: f.server.url });
      conns.push(nc);
      const a = createAggregator({ nats: nc, storage: f.storage, logger: silentLogger, batchMaxMessages: 20 });
      running.push(a);
      await a.start();
    }
    let expected = 0;
    const publishes: Promise<number>[] = [];
    for (let i = 0; i < 200; i++) {
      const size = 1 + (i % 7);
      expected += size;
      publishes.push(publish(f.js, [record({}, size)]));
    }
    const last = Math.max(...(await Promise.all(publishes)));
    await waitFor('all acked', async () => (await consumer()).ack_floor.stream_seq === last, 30_000);
    expect(await count(f.storage)).toBe(expected);
    const [dups] = await f.storage.query<{ n: number }>('SELECT count() - uniqExact(event_id) AS n FROM events');
    expect(dups?.n).toBe(0);
    expect(running[0]!.status().rowsInserted + running[1]!.status().rowsInserted).toBe(expected);
  });

  /**
   * The first insert holding a client event is held back, so the other aggregator's batches with
   * copies of it reach their dedup before it has landed: the race an SDK retry can cause. Returns
   * the event totals of `events` and two rollups.
   */
  async function storeCopiesAtOnce(separateProcesses: boolean): Promise<number[]> {
    const first = record({}, 2);
    const copied = first.events[0]!;
    let holding: (() => void) | undefined;
    const held = new Promise<void>((r) => (holding = r));
    const gate = async (table: string, rows: readonly object[]): Promise<void> => {
      if (table !== 'events' || !holding || !rows.some((r) => (r as { event_id?: string }).event_id === copied.id)) return;
      holding();
      holding = undefined;
      await new Promise((r) => setTimeout(r, 2500));
    };
    const aggregators: Aggregator[] = [];
    for (let i = 0; i < 2; i++) {
      const nc = await connect({ servers: f.server.url });
      conns.push(nc);
      const storage = faulty(f.storage);
      storage.beforeInsert = gate;
      // As if each aggregator ran in its own process against one ClickHouse server.
      if (separateProcesses) storage.exclusive = (fn) => fn();
      const a = createAggregator({
        nats: nc,
        storage,
        logger: silentLogger,
        batchMaxMessages: 1,
        flushIntervalMs: 100,
        storeLock: separateProcesses ? 'nats' : 'process',
      });
      running.push(a);
      aggregators.push(a);
      await a.start();
    }
    await publish(f.js, [first]);
    await held;
    // One aggregator holds that batch and may take one more; the other takes the rest.
    let last = 0;
    for (let i = 0; i < 4; i++) last = await publish(f.js, [{ ...record({}, 1), events: [copied, ...record({}, 1).events] }]);
    await waitFor('all acked', async () => (await consumer()).ack_floor.stream_seq === last, 30_000);
    expect(aggregators.every((a) => a.status().rowsInserted > 0)).toBe(true);
    const [minute] = await f.storage.query<{ n: number }>('SELECT sum(events) AS n FROM rollup_events_minute');
    const [day] = await f.storage.query<{ n: number }>('SELECT sum(events) AS n FROM rollup_site_day');
    return [await count(f.storage), minute?.n ?? 0, day?.n ?? 0];
  }

  it('two aggregators in one process holding copies of one client event at the same time count it once', async () => {
    expect(await storeCopiesAtOnce(false)).toEqual([6, 6, 6]);
  });

  it('two aggregators in separate processes (NATS store lock) holding copies of one client event count it once', async () => {
    expect(await storeCopiesAtOnce(true)).toEqual([6, 6, 6]);
  });

  it('a backlog drains with each batch prepared while the one before it stores: exact, also across a stop mid-backlog', async () => {
    await ensureStreams(await f.nc.jetstreamManager(), { maxAgeMs: 3_600_000, replicas: 1 });
    let expected = 0;
    let last = 0;
    for (let i = 0; i < 120; i++) {
      const size = 1 + (i % 5);
      expected += size;
      last = await publish(f.js, [record({}, size)]);
    }
    // Full batches of 10 from a pre-filled stream: the pipelined path (fetch n+1, then store n
    // while n+1 is prepared).
    const first = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger, batchMaxMessages: 10 });
    await first.start();
    await waitFor('some stored', async () => first.status().rowsInserted > 0);
    await first.stop();
    const c = await consumer();
    // Stopping stored what it had prepared; nothing was left delivered but unacked.
    expect(c.num_ack_pending).toBe(0);
    expect(await count(f.storage)).toBe(first.status().rowsInserted);
    const second = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger, batchMaxMessages: 10 });
    running.push(second);
    await second.start();
    await waitFor('all acked', async () => (await consumer()).ack_floor.stream_seq === last, 30_000);
    expect(await count(f.storage)).toBe(expected);
    expect(first.status().rowsInserted + second.status().rowsInserted).toBe(expected);
    const [roll] = await f.storage.query<{ n: number }>('SELECT sum(events) AS n FROM rollup_events_minute');
    expect(roll?.n).toBe(expected);
  });

  it('an aggregator SIGKILLed between insert and ack: the redelivery adds no row', async () => {
    await ensureStreams(await f.nc.jetstreamManager(), { maxAgeMs: 3_600_000, replicas: 1 });
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push(await publish(f.js, [record({}, 4)]));
    // The child owns the chDB path while it lives.
    await f.storage.close();
    const child = spawn(process.execPath, [fileURLToPath(new URL('./helpers/kill-after-insert.mjs', import.meta.url)), f.server.url, f.dir.path], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const signal = await new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGKILL');
    const after = await consumer();
    expect(after.ack_floor.stream_seq).toBe(0);
    expect(after.num_ack_pending).toBe(5);

    const storage = createStorage({ path: f.dir.path });
    f.storage = storage;
    expect(await count(storage)).toBe(20);
    const a = createAggregator({ nats: f.nc, storage, logger: silentLogger, ackWaitMs: 2000 });
    running.push(a);
    await a.start();
    await waitFor('redelivered and acked', async () => (await consumer()).ack_floor.stream_seq === seqs[4], 20_000);
    expect(await count(storage)).toBe(20);
    const [roll] = await storage.query<{ n: number }>('SELECT sum(events) AS n FROM rollup_events_minute');
    expect(roll?.n).toBe(20);
  });
});
