// Aggregator benchmark: a pre-filled EVENTS stream drained by createAggregator into a fresh chDB
// (sustained events/s until all are queryable), against a bare @clickhouse/client insert of the
// same rows; then freshness (publish → queryable) at half the measured rate.
// node bench/dist/aggregator.js [--events 1000000] [--fresh-seconds 20] [--out result.json]
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { connect, type NatsConnection } from 'nats';
import { createAggregator, createReplayManager, DEFAULT_BATCH_MAX_MESSAGES, DEFAULT_STREAM_MAX_AGE_MS, ensureStreams } from '@pulse/aggregator';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { startNats } from '@pulse/testkit';
import { checkKnown, numberArg, parseArgs } from '../lib/args.js';
import { BenchFailedError } from '../lib/errors.js';
import { warnLogger } from '../lib/logger.js';
import { every, fmtInt, progress, rssMb, sleep } from '../lib/progress.js';
import { commandLine, writeResult, type BenchResult } from '../lib/result.js';
import { perSecond, summarize } from '../lib/stats.js';
import { benchDir } from '../lib/temp.js';
import { baselineRows } from './baseline-rows.js';
import { pipelinedPublisher } from './publish.js';
import { DEFAULT_SHAPE, generateMessages, generateRecords, siteId, type GeneratedRecord } from './stream-data.js';
import type { PublisherData, PublisherMessage } from './publisher-worker.js';

export const DEFAULT_EVENTS = 1_000_000;
export const DEFAULT_FRESH_SECONDS = 20;
export const FRESH_POLL_MS = 50;
const SEED = 20261126;

const args = parseArgs(process.argv.slice(2));
checkKnown(args, ['events', 'fresh-seconds', 'replay', 'out']);
const events = numberArg(args, 'events', DEFAULT_EVENTS, { min: 1000 });
const freshSeconds = numberArg(args, 'fresh-seconds', DEFAULT_FRESH_SECONDS, { min: 2 });
// --replay false skips the replay phase (it reprocesses the whole stream once more).
const withReplay = args.get('replay') !== 'false';
const log = (m: string) => progress('aggregator', m);
const startedAt = new Date();
const shape = DEFAULT_SHAPE;
// The pre-filled history: one event every 2 ms ending now, so the per-batch dedup lookup and the
// session state see realistic timestamps.
const spacingMs = 2;
const historyStart = Date.now() - events * spacingMs;
const records = (): Generator<GeneratedRecord> => generateRecords({ events, startMs: historyStart, spacingMs, seed: SEED, shape, idPrefix: 'e-' });
const eventsPerMessage = (() => {
  let msgs = 0;
  let evs = 0;
  for (const m of generateMessages(generateRecords({ events: 20_000, startMs: 0, spacingMs, seed: SEED, shape, idPrefix: 'x' }), shape.recordsPerMessage)) {
    msgs++;
    evs += m.events;
  }
  return evs / msgs;
})();

async function countEvents(storage: Storage): Promise<number> {
  const rows = await storage.query<{ n: number }>('SELECT count() AS n FROM events');
  return Number(rows[0]?.n ?? 0);
}

/** The baseline: the same rows, already enriched, inserted with @clickhouse/client in the aggregator's batch size. */
async function bareInsert(path: string): Promise<{ eventsPerSec: number; insertMs: number[]; batchRows: number; engineEventsPerSec: number }> {
  const storage = createStorage({ path });
  await migrate(storage);
  await storage.close();
  const client = createClient({
    connection: createChdbConnection({ path }) as never,
    clickhouse_settings: { date_time_input_format: 'best_effort', output_format_json_quote_64bit_integers: 0 },
  });
  const batchMessages = DEFAULT_BATCH_MAX_MESSAGES;
  const insertMs: number[] = [];
  let inserted = 0;
  let pending: GeneratedRecord[] = [];
  let messagesInBatch = 0;
  let seq = 0;
  const stop = every(2000, () => log(`baseline: ${fmtInt(inserted)} / ${fmtInt(events)} rows inserted`));
  const flush = async () => {
    const rows = baselineRows(pending, ++seq);
    pending = [];
    messagesInBatch = 0;
    const t = performance.now();
    await client.insert({ table: 'events', values: rows, format: 'JSONEachRow' });
    insertMs.push(performance.now() - t);
    inserted += rows.length;
  };
  try {
    for (const m of generateMessages(records(), shape.recordsPerMessage)) {
      pending.push(...m.generated);
      if (++messagesInBatch >= batchMessages) await flush();
    }
    if (pending.length) await flush();
  } finally {
    stop();
  }
  const rows = await client.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' });
  const n = Number(((await rows.json()) as { n: number }[])[0]?.n ?? 0);
  if (n !== events) throw new BenchFailedError(`baseline stored ${n} rows, expected ${events}`);
  const engine = await engineInsert(client, path, seq);
  await client.close();
  const total = insertMs.reduce((s, v) => s + v, 0);
  return { eventsPerSec: perSecond(events, total), insertMs, batchRows: Math.round(events / insertMs.length), engineEventsPerSec: engine };
}

/**
 * The engine alone, the ceiling of any aggregator on this machine and schema: the baseline's
 * batches written out as Native files, then inserted again into `events` (and so through every
 * rollup's view) the way the aggregator's chDB storage inserts, `INSERT … SELECT * FROM file(…,
 * 'Native')` with its insert settings; no JavaScript per event. Deduplication is off for these
 * inserts: the blocks are the ones already stored.
 */
async function engineInsert(client: ClickHouseClient, dir: string, batches: number): Promise<number> {
  const files: string[] = [];
  for (let k = 1; k <= batches; k++) {
    const file = join(dir, `engine-${k}.native`);
    await client.command({ query: `SELECT * FROM events WHERE stream_seq = ${k} INTO OUTFILE '${file}' FORMAT Native` });
    files.push(file);
  }
  let ms = 0;
  let done = 0;
  // The process's CPU time includes the engine's threads: how many of the machine's cores it used.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = every(2000, () => log(`engine alone: ${done} / ${batches} batches inserted`));
  try {
    for (const file of files) {
      const t = performance.now();
      await client.command({
        query: `INSERT INTO events SELECT * FROM file('${file}', 'Native') SETTINGS parallel_view_processing = 1, optimize_on_insert = 0, insert_deduplicate = 0`,
      });
      ms += performance.now() - t;
      done++;
    }
  } finally {
    stop();
  }
  const cpu = process.cpuUsage(cpu0);
  log(`engine alone: ${((cpu.user + cpu.system) / 1000 / (performance.now() - t0)).toFixed(2)} cores busy on average while inserting`);
  const rows = await client.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' });
  const n = Number(((await rows.json()) as { n: number }[])[0]?.n ?? 0);
  if (n !== 2 * events) throw new BenchFailedError(`the engine-alone inserts left ${n} rows, expected ${2 * events}`);
  return perSecond(events, ms);
}

async function prefill(nc: NatsConnection): Promise<number> {
  const pub = pipelinedPublisher(nc.jetstream(), { idPrefix: 'bench-prefill', window: 256 });
  let sent = 0;
  const stop = every(2000, () => log(`pre-fill: ${fmtInt(sent)} / ${fmtInt(events)} events published`));
  try {
    for (const m of generateMessages(records(), shape.recordsPerMessage)) {
      await pub.publish(m.message);
      sent += m.events;
    }
    await pub.drain();
  } finally {
    stop();
  }
  return pub.published;
}

/** Drains the pre-filled stream; the aggregator keeps running (for the freshness phase) until `stop()`. */
async function sustained(natsUrl: string, storage: Storage): Promise<{ eventsPerSec: number; ms: number; peakRssMb: number; agg: StepMetrics; stop(): Promise<void> }> {
  const nc = await connect({ servers: natsUrl, name: 'bench-aggregator', noAsyncTraces: true });
  const agg = createAggregator({ nats: nc, storage, migrate: false, logger: warnLogger('aggregator') });
  let stored = 0;
  let peak = rssMb();
  const t0 = performance.now();
  const stop = every(2000, () => {
    const s = agg.status();
    log(`aggregating: ${fmtInt(stored)} / ${fmtInt(events)} queryable, ${fmtInt(perSecond(stored, performance.now() - t0))} events/s, pending ${fmtInt(s.pending)}, RSS ${rssMb()} MB`);
  });
  await agg.start();
  const deadline = Date.now() + Math.max(300_000, events / 2);
  try {
    while (stored < events) {
      if (Date.now() > deadline) throw new BenchFailedError(`only ${stored} of ${events} events queryable before the deadline`);
      await sleep(100);
      stored = await countEvents(storage);
      peak = Math.max(peak, rssMb());
    }
  } finally {
    stop();
  }
  const ms = performance.now() - t0;
  log(`aggregator steps (total seconds over the run): ${await stepTotals(agg)}`);
  return {
    eventsPerSec: perSecond(events, ms),
    ms,
    peakRssMb: peak,
    agg,
    async stop() {
      await agg.stop();
      await nc.drain();
    },
  };
}

type StepMetrics = { metrics: { stepSeconds: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number; metricName?: string }[] }> } } };

/** Seconds spent in each batch step and how many times it ran, so far. */
async function stepSnapshot(agg: StepMetrics): Promise<Map<string, { s: number; n: number }>> {
  const out = new Map<string, { s: number; n: number }>();
  for (const v of (await agg.metrics.stepSeconds.get()).values) {
    const step = String(v.labels['step']);
    const e = out.get(step) ?? { s: 0, n: 0 };
    if (v.metricName?.endsWith('_sum')) e.s = v.value;
    else if (v.metricName?.endsWith('_count')) e.n = v.value;
    else continue;
    out.set(step, e);
  }
  return out;
}

/** Where the aggregator's time went: seconds spent in each batch step, summed over the run. */
async function stepTotals(agg: StepMetrics): Promise<string> {
  return [...(await stepSnapshot(agg))].map(([step, e]) => `${step} ${e.s.toFixed(1)}`).join(', ');
}

/** Mean milliseconds a step took per run since `before`, and how many runs. */
async function stepMeans(agg: StepMetrics, before: Map<string, { s: number; n: number }>): Promise<string> {
  return [...(await stepSnapshot(agg))]
    .map(([step, e]) => {
      const b = before.get(step) ?? { s: 0, n: 0 };
      const n = e.n - b.n;
      return n > 0 ? `${step} ${(((e.s - b.s) * 1000) / n).toFixed(0)} ms × ${n}` : undefined;
    })
    .filter((x) => x !== undefined)
    .join(', ');
}

const FRESH_WINDOW_S = 5;

/** Latencies grouped by when the probe was sent: shows whether the tail is spread or bunched (a warm-up). */
function freshnessWindows(sentAt: ReadonlyMap<string, number>, seenAt: ReadonlyMap<string, number>): string {
  const first = Math.min(...sentAt.values());
  const windows = new Map<number, number[]>();
  for (const [id, sent] of sentAt) {
    const seen = seenAt.get(id);
    if (seen === undefined) continue;
    const w = Math.floor((sent - first) / (FRESH_WINDOW_S * 1000));
    windows.set(w, [...(windows.get(w) ?? []), seen - sent]);
  }
  return [...windows]
    .sort(([a], [b]) => a - b)
    .map(([w, l]) => {
      const s = summarize(l);
      return `${w * FRESH_WINDOW_S}–${(w + 1) * FRESH_WINDOW_S} s p50 ${s.p50} max ${s.max} ms`;
    })
    .join('; ');
}

async function freshness(natsUrl: string, storage: Storage, eventsPerSec: number): Promise<{ latenciesMs: number[]; sent: number; probes: number; lost: number }> {
  const probeSite = siteId(999_999);
  const data: PublisherData = { natsUrl, eventsPerSec, durationMs: freshSeconds * 1000, seed: SEED + 1, shape, probeSite, probeIntervalMs: 100 };
  const worker = new Worker(new URL('./aggregator-publisher.js', import.meta.url), { workerData: data });
  const sentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  let done: Extract<PublisherMessage, { type: 'done' }> | undefined;
  let failed: unknown;
  worker.on('message', (m: PublisherMessage) => {
    if (m.type === 'probe') sentAt.set(m.id, m.sentAt);
    else done = m;
  });
  worker.on('error', (err) => (failed = err));
  const stop = every(2000, () => log(`freshness: ${seenAt.size} / ${sentAt.size} probes queryable`));
  try {
    let settleDeadline = Number.POSITIVE_INFINITY;
    while (!failed) {
      const rows = await storage.query<{ id: string }>(
        `SELECT event_id AS id FROM events WHERE site_id = {site:String} AND name = 'bench_probe'`,
        { site: probeSite },
      );
      const now = Date.now();
      for (const r of rows) if (!seenAt.has(r.id)) seenAt.set(r.id, now);
      if (done && settleDeadline === Number.POSITIVE_INFINITY) settleDeadline = now + 30_000;
      if (done && (seenAt.size >= sentAt.size || now > settleDeadline)) break;
      await sleep(FRESH_POLL_MS);
    }
  } finally {
    stop();
    await worker.terminate();
  }
  if (failed) throw new BenchFailedError('the freshness publisher failed', { cause: failed });
  const latenciesMs = [...seenAt].map(([id, at]) => at - (sentAt.get(id) ?? at));
  log(`freshness by ${FRESH_WINDOW_S} s of sending: ${freshnessWindows(sentAt, seenAt)}`);
  return { latenciesMs, sent: done?.events ?? 0, probes: sentAt.size, lost: sentAt.size - seenAt.size };
}

/**
 * Replays the whole stream (the pre-filled history and the freshness traffic) through the replay
 * manager: staging tables, then the swap that replaces the live partitions.
 */
async function replay(natsUrl: string, storage: Storage, fromMs: number): Promise<{ eventsPerSec: number; events: number; rowsStaged: number; ms: number }> {
  const nc = await connect({ servers: natsUrl, name: 'bench-replay' });
  const manager = createReplayManager({ nats: nc, storage, logger: warnLogger('replay') });
  try {
    const t0 = performance.now();
    const { replay_id } = await manager.start({ from: fromMs, to: Date.now() });
    const stop = every(2000, () => {
      manager.get(replay_id).then(
        (st) => log(`replay: ${st.phase}, ${fmtInt(st.events_done)} events, ${fmtInt(st.rate)} events/s, ${Math.round(st.progress * 100)}%`),
        () => undefined,
      );
    });
    const final = await manager.wait(replay_id, Math.max(600_000, events * 2)).finally(stop);
    const ms = performance.now() - t0;
    if (final.state !== 'done') throw new BenchFailedError(`replay ended ${final.state}: ${final.error?.code ?? ''} ${final.error?.message ?? ''}`);
    return { eventsPerSec: perSecond(final.events_done, ms), events: final.events_done, rowsStaged: final.rows_staged, ms };
  } finally {
    await manager.close();
    await nc.drain();
  }
}

const runDir = benchDir('aggregator');
const nats = await startNats();
let storage: Storage | undefined;
let aggRun: Awaited<ReturnType<typeof sustained>> | undefined;
let prefillNc: NatsConnection | undefined;
try {
  log(`${fmtInt(events)} events, ~${eventsPerMessage.toFixed(0)} events per stream message, ${shape.sites} sites, ${fmtInt(shape.visitors)} visitors`);
  log('baseline: bare insert of the same rows into chDB');
  const base = await bareInsert(join(runDir.path, 'baseline'));
  const baseIns = summarize(base.insertMs);
  log(`baseline: ${fmtInt(base.eventsPerSec)} events/s (${base.insertMs.length} inserts of ~${fmtInt(base.batchRows)} rows); the engine alone ${fmtInt(base.engineEventsPerSec)} events/s`);

  const nc = (prefillNc = await connect({ servers: nats.url, name: 'bench-prefill' }));
  await ensureStreams(await nc.jetstreamManager(), { maxAgeMs: DEFAULT_STREAM_MAX_AGE_MS, replicas: 1 });
  const messages = await prefill(nc);
  log(`pre-filled ${fmtInt(messages)} messages`);

  storage = createStorage({ path: join(runDir.path, 'aggregator') });
  await migrate(storage);
  const agg = (aggRun = await sustained(nats.url, storage));
  log(`aggregator: ${fmtInt(agg.eventsPerSec)} events/s (${(agg.ms / 1000).toFixed(1)} s), peak RSS ${agg.peakRssMb} MB`);

  const freshRate = Math.max(100, Math.round(agg.eventsPerSec / 2));
  log(`freshness: publishing ${fmtInt(freshRate)} events/s for ${freshSeconds} s`);
  const stepsBefore = await stepSnapshot(agg.agg);
  const fresh = await freshness(nats.url, storage, freshRate);
  log(`aggregator steps during the freshness phase (mean per batch): ${await stepMeans(agg.agg, stepsBefore)}`);
  const f = summarize(fresh.latenciesMs);
  log(`freshness: p50 ${f.p50} ms, p99 ${f.p99} ms over ${f.n} probes (${fresh.lost} not seen)`);
  if (fresh.lost > 0) throw new BenchFailedError(`${fresh.lost} freshness probes never became queryable`);
  const total = events + fresh.sent + fresh.probes;
  // The freshness traffic that followed the last probe may still be on its way in.
  let stored = await countEvents(storage);
  for (const settle = Date.now() + 30_000; stored < total && Date.now() < settle; stored = await countEvents(storage)) await sleep(FRESH_POLL_MS);
  if (stored !== total) throw new BenchFailedError(`events table holds ${stored} rows, expected ${total}`);

  const tables: BenchResult['tables'] = [];
  const notes: string[] = [];
  if (withReplay) {
    log('replay: the whole stream again, through staging tables and the swap');
    try {
      const rp = await replay(nats.url, storage, historyStart - 60_000);
      const after = await countEvents(storage);
      log(`replay: ${fmtInt(rp.eventsPerSec)} events/s (${fmtInt(rp.events)} events in ${(rp.ms / 1000).toFixed(1)} s), ${fmtInt(after)} events after the swap`);
      if (after !== total) throw new BenchFailedError(`after the replay's swap the events table holds ${after} rows, expected ${total}`);
      tables.push({
        title: `Replay of the whole stream (${fmtInt(rp.events)} events, ${fmtInt(rp.rowsStaged)} rows staged, then swapped in)`,
        figures: [{ label: 'replay: stream → staging → swap, while live aggregation runs', value: rp.eventsPerSec, unit: 'events/s', baseline: { label: 'live aggregator on the same events (above)', value: agg.eventsPerSec } }],
      });
    } catch (err) {
      log(`replay: FAILED: ${(err as Error).message}`);
      notes.push(`Replay failed in this run: ${(err as Error).message}`);
    }
  } else notes.push('Replay skipped (--replay false).');
  aggRun = undefined;
  await agg.stop();
  prefillNc = undefined;
  await nc.drain();

  const result: BenchResult = {
    bench: 'aggregator',
    title: 'Aggregator: stream → enrichment → chDB',
    command: commandLine('bench/dist/aggregator.js'),
    params: {
      events,
      'events per stream message (avg)': Math.round(eventsPerMessage),
      sites: shape.sites,
      visitors: shape.visitors,
      'cookieless share': shape.cookielessShare,
      'aggregator batch (messages)': DEFAULT_BATCH_MAX_MESSAGES,
      'freshness rate (events/s)': freshRate,
      'freshness duration (s)': freshSeconds,
      'freshness poll interval (ms)': FRESH_POLL_MS,
    },
    tables: [
      {
        title: `Sustained throughput, ${fmtInt(events)} pre-filled events`,
        figures: [
          {
            label: 'aggregator: stream → queryable in chDB (full enrichment, sessions, dedup, rollups)',
            value: agg.eventsPerSec,
            unit: 'events/s',
            baseline: { label: 'bare @clickhouse/client insert of the same rows (no NATS, no enrichment)', value: base.eventsPerSec },
            target: '≥ 200,000',
          },
          {
            label: 'aggregator, as above',
            value: agg.eventsPerSec,
            unit: 'events/s',
            baseline: { label: "the engine alone: the same rows from Native files into events and its views, as the aggregator's inserts (no JavaScript per event)", value: base.engineEventsPerSec },
          },
        ],
      },
      {
        title: `Freshness at ${fmtInt(freshRate)} events/s (half the sustained rate), ${f.n} probes`,
        figures: [
          { label: 'publish → queryable p50', value: f.p50, unit: 'ms', baseline: { label: `one bare insert of ~${fmtInt(base.batchRows)} rows, p50`, value: baseIns.p50 } },
          { label: 'publish → queryable p99', value: f.p99, unit: 'ms', baseline: { label: `one bare insert of ~${fmtInt(base.batchRows)} rows, p99`, value: baseIns.p99 }, target: '≤ 2,000' },
        ],
      },

      ...tables,
    ],
    notes: [
      ...notes,
      `The process (aggregator + chDB) peaked at ${agg.peakRssMb} MB RSS.`,
      `Freshness is measured by polling chDB every ${FRESH_POLL_MS} ms for probe events, so figures carry up to ${FRESH_POLL_MS} ms of polling delay; the publisher runs in a worker thread.`,
      'Inputs: real browser, phone, tablet and bot user agents, search/social/email referrers and UTM-tagged URLs (bench/src/fixtures/web.ts).',
      `Each stream message holds ${shape.recordsPerMessage} requests as collectors publish them: raw records (the msgpack body as received, which the aggregator decodes and validates again), ${Math.round((1 - shape.sdkShare) * 100)} % single-event beacons and the rest SDK batches of 2–${shape.maxSdkBatch} events. Before the twenty-first session the records held their events already decoded, a path collectors no longer produce.`,
    ],
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
  writeResult(args.get('out'), result);
} finally {
  await aggRun?.stop().catch(() => undefined);
  await prefillNc?.close().catch(() => undefined);
  await storage?.close().catch(() => undefined);
  await nats.cleanup();
  runDir.remove();
}
