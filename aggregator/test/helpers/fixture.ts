import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { chdbDir, startNats, type TempDir, type TestNats } from '@pulse/testkit';
import { EVENTS_INGEST_SUBJECT, type StreamMessage, type StreamRecord } from '@pulse/protocol';
import { encodeStreamMessage } from '@pulse/protocol/codec';
import { createStorage, type Storage } from '../../src/storage/index.js';

export interface Fixture {
  server: TestNats;
  nc: NatsConnection;
  js: JetStreamClient;
  storage: Storage;
  dir: TempDir;
  cleanup(): Promise<void>;
}

/** A real nats-server and a fresh embedded chDB. */
export async function fixture(): Promise<Fixture> {
  const server = await startNats();
  const nc = await connect({ servers: server.url });
  const dir = chdbDir();
  const storage = createStorage({ path: dir.path });
  return {
    server,
    nc,
    js: nc.jetstream(),
    storage,
    dir,
    async cleanup() {
      await nc.close().catch(() => {});
      await storage.close();
      await server.cleanup();
      dir.remove();
    },
  };
}

let msgCounter = 0;

/** Publishes one stream message the way a collector does (msgpack body, Nats-Msg-Id). Returns its stream seq. */
export async function publish(js: JetStreamClient, records: StreamRecord[], msgID = `test-${++msgCounter}`): Promise<number> {
  const msg: StreamMessage = { v: 1, records };
  const ack = await js.publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage(msg), { msgID });
  return ack.seq;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function count(storage: Storage, where = '1'): Promise<number> {
  const [r] = await storage.query<{ n: number }>(`SELECT count() AS n FROM events WHERE ${where}`);
  return r?.n ?? 0;
}

export const SITE = 's_AAAAAAAAAAAAAAAA';
export const UA_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
export const UA_CHROME_WIN =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

export function record(over: Partial<StreamRecord> = {}, n = 1, base = Date.now() - 60_000): StreamRecord {
  return {
    site_id: SITE,
    received_at: base + 1000,
    ip: '203.0.113.7',
    ua: UA_CHROME_WIN,
    country: 'DE',
    events: Array.from({ length: n }, (_, i) => ({
      id: `ev-${++msgCounter}-${i}`,
      name: 'pageview',
      ts: base + i,
      url: `https://shop.example.com/p/${i}`,
      visitor_id: 'v-1',
    })),
    ...over,
  };
}
