// Soak: the embedded system at a steady rate (default 50 % of the maximum measured just before)
// for --minutes, one row a minute: events/s, ingest and query p50/p99, RSS of every process.
// node bench/dist/soak.js [--minutes 60] [--rate EVENTS_PER_SEC] [--probe-seconds 10] [--window-seconds 60]
//   [--runtime bun|node] [--out artifacts/soak/soak.json] [--markdown artifacts/soak/soak.md]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CollectorRuntime } from '@pulse/embedded';
import { checkKnown, numberArg, parseArgs, stringArg } from '../lib/args.js';
import { startSystem } from '../lib/embedded.js';
import { BenchConfigError, BenchFailedError } from '../lib/errors.js';
import { every, progress, sleep } from '../lib/progress.js';
import { commandLine } from '../lib/result.js';
import { summarize } from '../lib/stats.js';
import { benchDir } from '../lib/temp.js';
import { awaitWriteKey, countEvents, createSite } from '../campaign/setup.js';
import { descendants, rssMbOf } from './proc.js';
import type { SoakSenderConfig, SoakSenderLine } from './sender-protocol.js';
import { flatness, renderSoak, type SoakRow } from './table.js';

export const DEFAULT_MINUTES = 60;
export const DEFAULT_PROBE_SECONDS = 10;
export const DEFAULT_WINDOW_SECONDS = 60;
export const SOAK_SHARE_OF_MAX = 0.5;
export const BATCH_SIZE = 20;
export const PROBE_CONCURRENCY = 16;
export const QUERY_EVERY_MS = 2_000;
export const RSS_EVERY_MS = 5_000;

const args = parseArgs(process.argv.slice(2));
checkKnown(args, ['minutes', 'rate', 'probe-seconds', 'window-seconds', 'runtime', 'out', 'markdown']);
const minutes = numberArg(args, 'minutes', DEFAULT_MINUTES, { min: 1 });
const probeSeconds = numberArg(args, 'probe-seconds', DEFAULT_PROBE_SECONDS, { min: 2 });
const windowSeconds = numberArg(args, 'window-seconds', DEFAULT_WINDOW_SECONDS, { min: 5 });
const fixedRate = args.has('rate') ? numberArg(args, 'rate', 0, { min: 1 }) : undefined;
const runtime = stringArg(args, 'runtime', 'bun');
if (runtime !== 'bun' && runtime !== 'node') throw new BenchConfigError('--runtime', `must be bun or node, got "${runtime}"`);
const log = (m: string) => progress('soak', m);

function runSender(cfg: SoakSenderConfig, onWindow: (l: Extract<SoakSenderLine, { type: 'window' }>) => void): { pid: number; done: Promise<Extract<SoakSenderLine, { type: 'done' }>> } {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./soak-sender.js', import.meta.url)), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let done: Extract<SoakSenderLine, { type: 'done' }> | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const l = JSON.parse(line) as SoakSenderLine;
    if (l.type === 'window') onWindow(l);
    else done = l;
  });
  return {
    pid: child.pid as number,
    done: new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 && done ? resolve(done) : reject(new BenchFailedError(`soak sender exited with ${code}`))))),
  };
}

/** The processes of the system: this one (aggregator, query API, chDB) and its children but the sender. */
function rssNow(senderPid: number): Record<string, number> {
  const out: Record<string, number> = { 'host (aggregator+query+chDB)': rssMbOf(process.pid) ?? 0 };
  for (const p of descendants(process.pid)) {
    if (p.pid === senderPid || p.name === 'soak-sender') continue;
    const rss = rssMbOf(p.pid);
    if (rss === undefined) continue;
    const label = p.name === 'nats-server' ? 'nats-server' : `collector (${p.name})`;
    out[label] = (out[label] ?? 0) + rss;
  }
  return out;
}

const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

const dir = benchDir('soak');
const sys = await startSystem({ dataDir: dir.path, runtime: runtime as CollectorRuntime, bodyTimeoutMs: 10_000, onLog: (e) => e['level'] === 'error' && process.stderr.write(JSON.stringify(e) + '\n') });
let ok = false;
try {
  const site = await createSite(sys.queryUrl, sys.adminToken, 'Soak', 'soak.example');
  await awaitWriteKey(sys.collectorUrl, site.writeKey);
  const tenancy = { validSiteId: site.siteId, validReadKey: site.readKey };
  const runId = `soak-${Date.now()}`;
  let acked = 0;

  let maxRate: number | undefined;
  let rate = fixedRate ?? 0;
  if (fixedRate === undefined) {
    log(`measuring the maximum: ${PROBE_CONCURRENCY} closed-loop clients for ${probeSeconds} s`);
    const probe = runSender({ collectorUrl: sys.collectorUrl, writeKey: site.writeKey, mode: 'max', concurrency: PROBE_CONCURRENCY, batchSize: BATCH_SIZE, seconds: probeSeconds, windowMs: probeSeconds * 1000 + 60_000, runId: `${runId}-max` }, () => {});
    const d = await probe.done;
    acked += d.acked;
    maxRate = (d.acked * 1000) / d.ms;
    rate = maxRate * SOAK_SHARE_OF_MAX;
    log(`maximum ${Math.round(maxRate)} events/s acknowledged; soaking at ${Math.round(rate)} events/s`);
    await sleep(5_000);
  }

  const rows: SoakRow[] = [];
  let queryLat: number[] = [];
  let rss: Record<string, number> = {};
  let senderPid = 0;
  const stopQuery = every(QUERY_EVERY_MS, () => {
    const t = performance.now();
    countEvents(sys.queryUrl, tenancy).then(() => queryLat.push(performance.now() - t), () => queryLat.push(Number.NaN));
  });
  const stopRss = every(RSS_EVERY_MS, () => (rss = rssNow(senderPid)));
  log(`soak: ${minutes} min at ${Math.round(rate)} events/s, a row every ${windowSeconds} s`);
  const sender = runSender(
    { collectorUrl: sys.collectorUrl, writeKey: site.writeKey, mode: 'paced', eventsPerSec: rate, concurrency: 64, batchSize: BATCH_SIZE, seconds: minutes * 60, windowMs: windowSeconds * 1000, runId },
    (w) => {
      const q = summarize(queryLat.filter(Number.isFinite));
      const failedQueries = queryLat.length - q.n;
      queryLat = [];
      rss = rssNow(senderPid);
      const row: SoakRow = { minute: w.index + 1, eventsPerSec: (w.acked * 1000) / w.ms, ingestP50: w.p50, ingestP99: w.p99, queryP50: q.p50, queryP99: q.p99, errors: w.errors + failedQueries, rssMb: rss };
      rows.push(row);
      log(`minute ${row.minute}: ${Math.round(row.eventsPerSec)} events/s, ingest p50/p99 ${row.ingestP50.toFixed(1)}/${row.ingestP99.toFixed(1)} ms, query p50/p99 ${row.queryP50.toFixed(1)}/${row.queryP99.toFixed(1)} ms, RSS ${JSON.stringify(row.rssMb)}`);
    },
  );
  senderPid = sender.pid;
  const done = await sender.done;
  stopQuery();
  stopRss();
  acked += done.acked;

  log(`waiting until all ${acked} acknowledged events are queryable`);
  const deadline = Date.now() + 600_000;
  let counted = await countEvents(sys.queryUrl, tenancy);
  while (counted < acked && Date.now() < deadline) {
    await sleep(1_000);
    counted = await countEvents(sys.queryUrl, tenancy);
  }
  const flat = flatness(rows);
  const result = { minutes, windowSeconds, rate, maxRate, acked, failed: done.failed, counted, rows, flat, command: commandLine('bench/dist/soak.js'), date: new Date().toISOString() };
  const out = stringArg(args, 'out', 'artifacts/soak/soak.json');
  const md = stringArg(args, 'markdown', 'artifacts/soak/soak.md');
  write(out, JSON.stringify(result, null, 2) + '\n');
  write(md, renderSoak({ rows, flat, command: result.command, date: result.date, rate, ...(maxRate ? { maxRate } : {}), acked, counted }));
  ok = counted === acked && done.failed === 0;
  log(`${flat.tooShort ? 'too short to judge flatness' : flat.flat ? 'flat' : 'NOT flat'}; ${acked} acknowledged, ${counted} counted${done.failed ? `, ${done.failed} events never acknowledged` : ''}; wrote ${out} and ${md}`);
} finally {
  await sys.stop();
  dir.remove();
}
process.exit(ok ? 0 : 1);
