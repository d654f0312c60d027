import { AckPolicy, connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeProcess, startNats, thawProcess, type TestNats } from '@pulse/testkit';
import { BatchReader } from '../src/batch-reader.js';
import { PullFailedError } from '../src/errors.js';
import { isNatsUnreachable } from '../src/nats-outage.js';

const STREAM = 'READER';
let server: TestNats;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let n = 0;

async function freshConsumer(): Promise<string> {
  const name = `c${++n}`;
  await jsm.consumers.add(STREAM, { durable_name: name, ack_policy: AckPolicy.Explicit, ack_wait: 60_000_000_000, max_ack_pending: 10_000 });
  return name;
}

async function publish(count: number, bytes: number): Promise<void> {
  const body = new Uint8Array(bytes).fill(7);
  await Promise.all(Array.from({ length: count }, () => js.publish(`${STREAM}.x`, body)));
}

/** An empty stream with `count` messages of `bytes` each, a new consumer on it, and a reader. */
async function backlog(count: number, bytes: number, maxBytes?: number): Promise<{ name: string; reader: BatchReader }> {
  await jsm.streams.purge(STREAM);
  const name = await freshConsumer();
  await publish(count, bytes);
  return { name, reader: new BatchReader(nc, STREAM, name, maxBytes) };
}

/** Blocks the event loop, as enriching a large batch does. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

beforeAll(async () => {
  server = await startNats();
  nc = await connect({ servers: server.url });
  js = nc.jetstream();
  jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: STREAM, subjects: [`${STREAM}.>`] });
});

afterAll(async () => {
  await nc?.close();
  await server?.cleanup();
});

describe('BatchReader', () => {
  it('loses nothing when the event loop is blocked past the pull expiry (no message waits for ack_wait)', async () => {
    const { name, reader } = await backlog(300, 64 * 1024);
    let taken = 0;
    const started = Date.now();
    while (taken < 300 && Date.now() - started < 30_000) {
      const pending = reader.take(50, 1000);
      // The pull is out; keep the loop busy well past its 1 s expiry while its messages arrive.
      busy(1500);
      const msgs = await pending;
      for (const m of msgs) m.ack();
      taken += msgs.length;
    }
    await nc.flush();
    const info = await jsm.consumers.info(STREAM, name);
    expect(taken).toBe(300);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    // ack_wait is 60 s: finishing well inside it means no message was stranded.
    expect(Date.now() - started).toBeLessThan(30_000);
    await reader.close();
  });

  it('returns a short batch when the pull expires, and an empty one on an idle stream', async () => {
    const { reader } = await backlog(3, 10);
    const first = await reader.take(100, 1000);
    expect(first).toHaveLength(3);
    for (const m of first) m.ack();
    const t0 = Date.now();
    expect(await reader.take(100, 1000)).toHaveLength(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await reader.close();
  });

  it('close() waits for the open pull, hands back what was not taken, and the next reader gets it at once', async () => {
    const { name, reader } = await backlog(40, 100);
    const firstBatch = await reader.take(10, 1000);
    expect(firstBatch).toHaveLength(10);
    for (const m of firstBatch) m.ack();
    // A pull for 30 more goes out; closing right away must neither strand nor lose its messages.
    const second = reader.take(30, 1000);
    const released = await reader.close();
    const got = await second;
    for (const m of got) m.ack();
    await nc.flush();
    expect(got.length + released).toBe(30);
    // The server applies acks and naks after it has read them, so its count may lag a moment.
    let pending = -1;
    for (let i = 0; i < 40 && pending !== 0; i++) {
      if (i > 0) await new Promise((ok) => setTimeout(ok, 50));
      pending = (await jsm.consumers.info(STREAM, name)).num_ack_pending;
    }
    expect(pending).toBe(0);
    const next = new BatchReader(nc, STREAM, name);
    const rest = await next.take(100, 1000);
    expect(rest).toHaveLength(40 - firstBatch.length - got.length);
    for (const m of rest) m.ack();
    await next.close();
  });

  it('bounds a pull by bytes, so a backlog of large messages is taken in byte-sized batches without waiting for expiry', async () => {
    // 1 MiB budget (the server's max payload is 1 MiB, so the reader raises it to 2 MiB).
    const { reader } = await backlog(40, 100 * 1024, 1024 * 1024);
    // The first pull ends on its byte budget (a status from the server), not on its 5 s expiry.
    const t0 = Date.now();
    const first = await reader.take(1000, 5000);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(21);
    let taken = first.length;
    for (const m of first) m.ack();
    while (taken < 40) {
      const msgs = await reader.take(1000, 1000);
      expect(msgs.length).toBeLessThanOrEqual(21);
      taken += msgs.length;
      for (const m of msgs) m.ack();
    }
    expect(taken).toBe(40);
    await reader.close();
  });

  it('fails with PullFailedError when the consumer is gone, with no NATS error as cause (NATS answered its ping)', async () => {
    const name = await freshConsumer();
    await jsm.consumers.delete(STREAM, name);
    const reader = new BatchReader(nc, STREAM, name);
    const err = await reader.take(10, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullFailedError);
    expect((err as Error).message).toMatch(/consumer missing/);
    expect((err as Error).cause).toBeUndefined();
    expect(isNatsUnreachable(err)).toBe(false);
    expect(reader.done).toBe(true);
    await reader.close();
  });
});

describe('BatchReader across a nats-server restart', () => {
  let own: TestNats;
  let conn: NatsConnection;

  beforeAll(async () => {
    own = await startNats();
    conn = await connect({ servers: own.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const ownJsm = await conn.jetstreamManager();
    await ownJsm.streams.add({ name: STREAM, subjects: [`${STREAM}.>`] });
  });

  afterAll(async () => {
    await conn?.close();
    await own?.cleanup();
  });

  async function reader(name: string): Promise<BatchReader> {
    const ownJsm = await conn.jetstreamManager();
    await ownJsm.consumers.add(STREAM, { durable_name: name, ack_policy: AckPolicy.Explicit, ack_wait: 60_000_000_000 });
    return new BatchReader(conn, STREAM, name);
  }

  function reconnected(): Promise<void> {
    return (async () => {
      for await (const s of conn.status()) if (s.type === 'reconnect') return;
    })();
  }

  async function publishTen(): Promise<void> {
    await Promise.all(Array.from({ length: 10 }, (_, i) => conn.jetstream().publish(`${STREAM}.x`, new Uint8Array([i]))));
  }

  it('asks again for the pull a killed server forgot, instead of waiting out the grace period and failing', async () => {
    const r = await reader('killed');
    // A pull that waits 3 s on an empty stream is open when the server dies.
    const pending = r.take(10, 3_000);
    const back = reconnected();
    await own.kill();
    await own.restart();
    await back;
    const sentAt = Date.now();
    await publishTen();
    // Without the new pull the take waits until 3 s + the 5 s grace, then throws PullFailedError.
    const msgs = await pending;
    expect(msgs.length).toBe(10);
    expect(Date.now() - sentAt).toBeLessThan(2_000);
    for (const m of msgs) m.ack();
    await r.close();
  }, 30_000);

  it('takes a server shutdown status as the end of the pull, not as a failure', async () => {
    const r = await reader('shutdown');
    const pending = r.take(10, 3_000).then(
      (msgs) => msgs.length,
      (err: unknown) => err,
    );
    const back = reconnected();
    await own.restart();
    await back;
    const first = await pending;
    expect(first).not.toBeInstanceOf(Error);
    await publishTen();
    let got = typeof first === 'number' ? first : 0;
    const started = Date.now();
    while (got < 10 && Date.now() - started < 10_000) {
      const msgs = await r.take(10 - got, 500);
      for (const m of msgs) m.ack();
      got += msgs.length;
    }
    expect(got).toBe(10);
    expect(r.done).toBe(false);
    await r.close();
  }, 30_000);

  it('fails a pull a frozen server never answers with NATS out of reach as its cause (its ping got no answer either)', async () => {
    const r = await reader('frozen');
    await freezeProcess(own.pid as number);
    try {
      const err = await r.take(10, 500).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PullFailedError);
      expect((err as Error).message).toMatch(/NATS does not answer/);
      expect(isNatsUnreachable(err)).toBe(true);
    } finally {
      thawProcess(own.pid as number);
    }
    await r.close();
  }, 30_000);

  it('fails a pull with NATS out of reach as its cause while the server is down', async () => {
    const r = await reader('down');
    await own.kill();
    try {
      const err = await r.take(10, 500).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PullFailedError);
      expect(isNatsUnreachable(err)).toBe(true);
    } finally {
      await own.restart();
    }
    await r.close();
  }, 30_000);
});
