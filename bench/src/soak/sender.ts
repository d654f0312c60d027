// The soak's load, in its own process so its memory and CPU stay out of the system's figures:
// batches of unique ids to the collector, closed loop (max) or paced, one line per window.
import { percentile } from '../lib/stats.js';
import type { SoakSenderConfig, SoakSenderLine } from './sender-protocol.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as SoakSenderConfig;
const emit = (l: SoakSenderLine) => process.stdout.write(JSON.stringify(l) + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let seq = 0;
let acked = 0;
let failed = 0;
let win = { acked: 0, requests: 0, errors: 0, lat: [] as number[], start: Date.now(), index: 0 };

async function sendBatch(): Promise<void> {
  const n = seq++;
  const events = Array.from({ length: cfg.batchSize }, (_, i) => ({ id: `${cfg.runId}-${n}-${i}`, name: 'pageview', url: `https://soak.example/p/${(n + i) % 200}`, visitor_id: `v_${n % 1000}`, ts: Date.now() }));
  for (let attempt = 1; attempt <= 20; attempt++) {
    const t = performance.now();
    try {
      const res = await fetch(`${cfg.collectorUrl}/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${cfg.writeKey}`, 'content-type': 'application/json', 'user-agent': UA }, body: JSON.stringify({ sent_at: Date.now(), events }) });
      const text = await res.text();
      win.requests++;
      if (res.status === 202 && (JSON.parse(text) as { accepted: number }).accepted === events.length) {
        win.lat.push(performance.now() - t);
        win.acked += events.length;
        acked += events.length;
        return;
      }
      win.errors++;
      if (res.status !== 429 && res.status !== 503) break;
    } catch {
      win.errors++;
    }
    await sleep(100 * attempt);
  }
  failed += events.length;
}

const started = Date.now();
const end = started + cfg.seconds * 1000;
const flush = setInterval(() => {
  const sorted = win.lat.sort((a, b) => a - b);
  emit({ type: 'window', index: win.index, acked: win.acked, requests: win.requests, errors: win.errors, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), ms: Date.now() - win.start });
  win = { acked: 0, requests: 0, errors: 0, lat: [], start: Date.now(), index: win.index + 1 };
}, cfg.windowMs);

const inflight = new Set<Promise<void>>();
while (Date.now() < end) {
  const due = cfg.mode === 'max' ? Number.POSITIVE_INFINITY : Math.floor(((Date.now() - started) * (cfg.eventsPerSec ?? 0)) / 1000 / cfg.batchSize);
  while (seq < due && inflight.size < cfg.concurrency) {
    const p = sendBatch().finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await (cfg.mode === 'max' && inflight.size >= cfg.concurrency ? Promise.race(inflight) : sleep(5));
}
await Promise.all(inflight);
clearInterval(flush);
// A short tail would be a row of noise (a few batches in a few ms): only a real window is reported.
if (win.requests > 0 && Date.now() - win.start >= cfg.windowMs / 2) {
  const sorted = win.lat.sort((a, b) => a - b);
  emit({ type: 'window', index: win.index, acked: win.acked, requests: win.requests, errors: win.errors, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), ms: Date.now() - win.start });
}
emit({ type: 'done', acked, failed, ms: Date.now() - started });
