import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from 'nats';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { PublishError, streamPublisher } from './publisher.js';

let nats: ConnectedNats;
beforeAll(async () => {
  nats = await startConnectedNats();
  const jsm = await nats.nc.jetstreamManager();
  await jsm.streams.add({ name: 'PUB_TEST', subjects: ['pub.test.>'], duplicate_window: 60_000_000_000 });
});
afterAll(() => nats.cleanup());

const enc = new TextEncoder();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PublishError ? err : new Error(`untyped: ${String(err)}`)),
  );

describe('streamPublisher (real nats-server)', () => {
  it('stores messages and answers with their sequence; a repeated Nats-Msg-Id is a duplicate', async () => {
    const p = streamPublisher(nats.nc);
    try {
      const msgId = (id: string) => {
        const h = headers();
        h.set('Nats-Msg-Id', id);
        return h;
      };
      const a = await p.publish('pub.test.a', enc.encode('one'), { headers: msgId('m-1') });
      const b = await p.publish('pub.test.b', enc.encode('two'));
      expect(a).toEqual({ stream: 'PUB_TEST', seq: 1, duplicate: false });
      expect(b).toEqual({ stream: 'PUB_TEST', seq: 2, duplicate: false });
      expect(await p.publish('pub.test.a', enc.encode('one again'), { headers: msgId('m-1') })).toEqual({ stream: 'PUB_TEST', seq: 1, duplicate: true });
      const jsm = await nats.nc.jetstreamManager();
      expect(new TextDecoder().decode((await jsm.streams.getMessage('PUB_TEST', { seq: 1 })).data)).toBe('one');
      expect((await jsm.streams.info('PUB_TEST')).state.messages).toBe(2);
    } finally {
      p.close();
    }
  });

  it('matches every answer to its message under concurrency', async () => {
    const p = streamPublisher(nats.nc);
    try {
      const acks = await Promise.all(Array.from({ length: 2_000 }, (_, i) => p.publish(`pub.test.c${i}`, enc.encode(String(i)))));
      expect(new Set(acks.map((a) => a.seq)).size).toBe(2_000);
      const jsm = await nats.nc.jetstreamManager();
      for (const i of [0, 1, 999, 1_999]) {
        const m = await jsm.streams.getMessage('PUB_TEST', { seq: acks[i]?.seq ?? 0 });
        expect([m.subject, new TextDecoder().decode(m.data)]).toEqual([`pub.test.c${i}`, String(i)]);
      }
    } finally {
      p.close();
    }
  });

  it('fails with a typed error: refused by the stream, no stream, silence, closed', async () => {
    const p = streamPublisher(nats.nc);
    // The stream refuses: the subject's last sequence is not the one expected.
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', '999');
    const refused = await failure(p.publish('pub.test.a', enc.encode('x'), { headers: h }));
    expect(refused).toMatchObject({ code: 'refused', apiCode: 10071, status: 400 });
    // No stream listens on the subject: the server answers "no responders".
    expect(await failure(p.publish('no.stream.here', enc.encode('x')))).toMatchObject({ code: 'no_responders' });
    // Someone listens but never answers: the publish times out instead of waiting forever.
    const silent = nats.nc.subscribe('silent.>');
    const started = performance.now();
    expect(await failure(p.publish('silent.x', enc.encode('x'), { timeoutMs: 200 }))).toMatchObject({ code: 'timeout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    // Closing fails what is still waiting and everything after.
    const waiting = failure(p.publish('silent.y', enc.encode('x')));
    p.close();
    expect(await waiting).toMatchObject({ code: 'closed' });
    expect(await failure(p.publish('pub.test.a', enc.encode('x')))).toMatchObject({ code: 'closed' });
    silent.unsubscribe();
  });
});
