// Replay speed on a modest data set: `node bench/replay-speed.mjs [messages] [eventsPerMessage]`
// (after `npx tsup`). Ingests through the live aggregator, then replays the whole range and
// prints events/s of the replay's reading phase and of the whole run including the swap.
import { connect } from 'nats';
import { EVENTS_INGEST_SUBJECT, EVENTS_STREAM, AGGREGATOR_CONSUMER } from '@pulse/protocol';
import { encodeStreamMessage } from '@pulse/protocol/codec';
import { startNats, chdbDir } from '@pulse/testkit';
import { createAggregator, createReplayManager, silentLogger } from '../dist/index.js';
import { createStorage } from '../dist/storage/index.js';

const messages = Number(process.argv[2] ?? 1000);
const perMessage = Number(process.argv[3] ?? 100);
const server = await startNats();
const nc = await connect({ servers: server.url });
const dir = chdbDir();
const storage = createStorage({ path: dir.path });
try {
  const agg = createAggregator({ nats: nc, storage, logger: silentLogger });
  await agg.start();
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const t0 = Date.now() - 60 * 60_000;
  let id = 0;
  for (let m = 0; m < messages; m++) {
    const events = [];
    for (let i = 0; i < perMessage; i++) {
      const v = (m * perMessage + i) % 5000;
      events.push({ id: `e${++id}`, name: i % 10 === 0 ? 'signup' : 'pageview', ts: t0 + m * 1000 + i, url: `https://shop.example.com/p/${i % 50}`, referrer: i % 7 === 0 ? 'https://www.google.com/' : '', visitor_id: `v${v}` });
    }
    await js.publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage({ v: 1, records: [{ site_id: 's_AAAAAAAAAAAAAAAA', received_at: t0 + m * 1000 + 500, ip: '203.0.113.9', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', country: 'DE', events }] }), { msgID: `b-${m}` });
  }
  const ingestStart = Date.now();
  for (;;) {
    const s = await jsm.streams.info(EVENTS_STREAM);
    const c = await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    if (c.ack_floor.stream_seq >= s.state.last_seq) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const liveSeconds = (Date.now() - ingestStart) / 1000;
  const manager = createReplayManager({ nats: nc, storage, logger: silentLogger });
  const started = Date.now();
  const { replay_id } = await manager.start({ from: t0 - 60_000, to: Date.now() });
  const done = await manager.wait(replay_id);
  const total = (Date.now() - started) / 1000;
  console.log(JSON.stringify({
    events: messages * perMessage,
    messages,
    live_ingest_events_per_s: Math.round((messages * perMessage) / liveSeconds),
    replay_state: done.state,
    replay_read_events_per_s: done.rate,
    replay_total_seconds: total,
    replay_events_per_s_incl_swap: Math.round(done.events_done / total),
  }));
  await manager.close();
  await agg.stop();
} finally {
  await nc.close();
  await storage.close();
  await server.cleanup();
  dir.remove();
}
