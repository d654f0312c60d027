// Paced publisher for the freshness phase. It runs in a worker thread so that publishing does
// not share an event loop with the aggregator it measures.
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from 'nats';
import type { StreamMessageV2 } from '@pulse/protocol';
import { generateMessages, generateRecords, rawRecordOf, type StreamShape } from './stream-data.js';
import { pipelinedPublisher } from './publish.js';

export interface PublisherData {
  natsUrl: string;
  eventsPerSec: number;
  durationMs: number;
  seed: number;
  shape: StreamShape;
  probeSite: string;
  /** A probe rides along every this many ms (one per message at most). */
  probeIntervalMs: number;
}

export type PublisherMessage = { type: 'probe'; id: string; sentAt: number } | { type: 'done'; events: number; messages: number; probes: number };

const d = workerData as PublisherData;
const port = parentPort;
if (!port) throw new Error('publisher-worker must run as a worker thread');

const nc = await connect({ servers: d.natsUrl, name: 'bench-publisher' });
const pub = pipelinedPublisher(nc.jetstream(), { idPrefix: 'bench-fresh', window: 64 });
const start = Date.now();
const total = Math.round((d.eventsPerSec * d.durationMs) / 1000);
const records = generateRecords({ events: total, startMs: start, spacingMs: 1000 / d.eventsPerSec, seed: d.seed, shape: d.shape, idPrefix: 'fresh-' });
let sent = 0;
let probes = 0;
let lastProbe = 0;
for (const { generated, events } of generateMessages(records, d.shape.recordsPerMessage)) {
  // Pace by events: this message leaves when the schedule says its first event is due.
  const due = start + (sent * 1000) / d.eventsPerSec;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const now = Date.now();
  // Real collectors stamp receive time as they publish; the pre-generated times are rewritten
  // before the bodies are encoded.
  const out: StreamMessageV2 = {
    v: 2,
    records: generated.map((g) => {
      g.record.received_at = now;
      for (const e of g.record.events) e.ts = now;
      return rawRecordOf(g.record, g.idBase);
    }),
  };
  if (now - lastProbe >= d.probeIntervalMs) {
    lastProbe = now;
    const id = `probe-${probes++}`;
    out.records.push({ site_id: d.probeSite, received_at: now, ip: '10.255.0.1', ua: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', country: '', events: [{ id, name: 'bench_probe', ts: now, url: 'https://probe.example/' }] });
    port.postMessage({ type: 'probe', id, sentAt: now } satisfies PublisherMessage);
  }
  await pub.publish(out);
  sent += events;
}
await pub.drain();
await nc.drain();
port.postMessage({ type: 'done', events: sent, messages: pub.published, probes } satisfies PublisherMessage);
