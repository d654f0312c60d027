// Collector benchmark: wrk against (a) a bare uWS server, (b) a node:http baseline collector,
// (c) our collector on uWS/Node, (d) our collector on Bun — same machine, same nats-server.
// Usage: node bench/run.mjs [--duration 15s] [--warmup 5s] [--connections 64] [--threads 2] [--targets bare,baseline,uws,bun]
//                           [--scenarios beacon,batch100] [--out results.md] [--node-args "--cpu-prof"] [--bun-args "--cpu-prof-md"]
//                           [--paced 0.8] [--env COLLECTOR_LINGER_MS=1,COLLECTOR_MAX_MESSAGE_BYTES=262144]
//                           [--ref /path/to/other/edge-collector/dist]
// --ref adds targets ref-uws and ref-bun: another build of this package (say, the last
// commit's), for before/after numbers measured in the same run.
// --paced f: after each saturating run, a second run paced at f × the measured requests/s
// (wrk's Lua delay(), calibrated once), for the latency at a fixed fraction of the maximum.
// Besides throughput it reports the CPU each process used during the run (% of one core),
// so on a small machine one can see how wrk, nats-server and the collector share it.
// Needs wrk (Debian: apt-get install wrk), nats-server, and a build (npx tsup).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { DLQ_STREAM, EVENTS_STREAM, KV_WRITE_KEYS, encodeRecord } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { freePort, startNats } from '@pulse/testkit';
import { ensureStreams } from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const duration = args.duration ?? '15s';
// Every target, the bare server included, runs warm: long enough for Bun's and V8's top JIT tiers
// (2 s left a fresh Bun using 10–18 % more CPU a request than a warm one, in the 23rd session's profiling).
const warmup = args.warmup ?? '5s';
const connections = args.connections ?? '64';
const threads = args.threads ?? '2';
const targets = (args.targets ?? 'bare,baseline,uws,bun').split(',');
const scenarios = (args.scenarios ?? 'beacon,batch100').split(',');
const nodeArgs = (args['node-args'] ?? '').split(' ').filter(Boolean);
const bunArgs = (args['bun-args'] ?? '').split(' ').filter(Boolean);
const paced = args.paced ? Number(args.paced) : 0;
const pkg = fileURLToPath(new URL('..', import.meta.url));
const bun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));
const lua = fileURLToPath(new URL('./wrk/post-file.lua', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tmp = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
const nats = await startNats();
const nc = await connect({ servers: nats.url });
await ensureStreams(await nc.jetstreamManager(), { replicas: 1, maxAgeMs: 3_600_000, duplicateWindowMs: 120_000 });
const kv = await nc.jetstream().views.kv(KV_WRITE_KEYS, { history: 1 });
const key = 'wk_bench000000000000000000000000000';
await kv.put(key, encodeRecord({ site_id: 's_bench00000000000', merchant_id: 'm_bench00000000000', created_at: Date.now() }));

const now = Date.now();
const event = (i) => ({ name: 'pageview', url: `https://shop.example/products/${i}?utm_source=bench`, referrer: 'https://www.google.com/', title: 'Product page', visitor_id: `v${i % 1000}`, ts: now, screen_width: 1440, lang: 'en-US' });
const SCENARIOS = {
  // sendBeacon: one JSON event as text/plain, key in the query string.
  beacon: { file: join(tmp, 'beacon.json'), body: JSON.stringify({ sent_at: now, events: [event(1)] }), type: 'text/plain;charset=UTF-8', path: `/v1/batch?key=${key}`, auth: '', events: 1 },
  // SDK batch: 100 events as msgpack with a bearer key.
  batch100: { file: join(tmp, 'batch100.msgpack'), body: encodeMsgpack({ sent_at: now, events: Array.from({ length: 100 }, (_, i) => event(i)) }), type: 'application/msgpack', path: '/v1/batch', auth: `Bearer ${key}`, events: 100 },
};
for (const s of Object.values(SCENARIOS)) writeFileSync(s.file, s.body);

const extraEnv = Object.fromEntries((args.env ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const collectorEnv = { NATS_URL: nats.url, COLLECTOR_HOST: '127.0.0.1', COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '0', LOG_LEVEL: 'warn', ...extraEnv };
// The "2" targets run two processes (one per core of a 2-core machine): ours with
// COLLECTOR_PROCESSES (reusePort), the baseline under node:cluster.
const TARGETS = {
  bare: (port) => [process.execPath, ['bench/bare-server.mjs'], { PORT: String(port) }],
  baseline: (port) => [process.execPath, ['bench/baseline-node-http.mjs'], { PORT: String(port), NATS_URL: nats.url }],
  uws: (port) => [process.execPath, [...nodeArgs, 'dist/main-node.js'], { ...collectorEnv, COLLECTOR_PORT: String(port) }],
  bun: (port) => [bun, [...bunArgs, 'dist/main-bun.js'], { ...collectorEnv, COLLECTOR_PORT: String(port) }],
  baseline2: (port) => [process.execPath, ['bench/baseline-node-http.mjs'], { PORT: String(port), NATS_URL: nats.url, PROCESSES: '2' }],
  uws2: (port) => [process.execPath, [...nodeArgs, 'dist/main-node.js'], { ...collectorEnv, COLLECTOR_PORT: String(port), COLLECTOR_PROCESSES: '2' }],
  bun2: (port) => [bun, [...bunArgs, 'dist/main-bun.js'], { ...collectorEnv, COLLECTOR_PORT: String(port), COLLECTOR_PROCESSES: '2' }],
};
if (args.ref) {
  TARGETS['ref-uws'] = (port) => [process.execPath, [...nodeArgs, join(args.ref, 'main-node.js')], { ...collectorEnv, COLLECTOR_PORT: String(port) }];
  TARGETS['ref-bun'] = (port) => [bun, [...bunArgs, join(args.ref, 'main-bun.js')], { ...collectorEnv, COLLECTOR_PORT: String(port) }];
}
/** /metrics answers for one process only: for multi-process targets count 202s instead. */
const multiProcess = (target) => target.endsWith('2');

const rssOf = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};

const TICKS_PER_SEC = 100;
/** utime + stime of a process in clock ticks (USER_HZ, 100 on Linux). */
const cpuTicksOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
};
/** A process and its descendants (workers). */
const treeOf = (pid) => {
  let kids = [];
  try {
    kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    // no children
  }
  return [pid, ...kids.flatMap(treeOf)];
};
const cpuTicksOfTree = (pids) => pids.reduce((sum, p) => sum + cpuTicksOf(p), 0);
const natsPid = () => {
  try {
    return Number(execFileSync('pgrep', ['-P', String(process.pid), '-x', 'nats-server'], { encoding: 'utf8' }).trim().split('\n')[0]);
  } catch {
    return 0;
  }
};

/** Runs wrk asynchronously, so the RSS sampler keeps ticking. */
async function wrk(port, s, dur, onStart = () => undefined, delayMs = 0) {
  const child = spawn('wrk', ['-t', threads, '-c', connections, '-d', dur, '--latency', '-s', lua, `http://127.0.0.1:${port}${s.path}`], {
    env: { ...process.env, BODY_FILE: s.file, CONTENT_TYPE: s.type, AUTH: s.auth, REQ_PATH: s.path, DELAY_MS: String(delayMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onStart(child.pid);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  const line = out.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`unexpected wrk output:\n${out}`);
  return JSON.parse(line.slice(5));
}

/** Counters read from /metrics (undefined for targets without them). */
async function counters(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().catch(() => '');
  const value = (prefix) => {
    const line = text.split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.split(' ')[1]) : undefined;
  };
  return {
    accepted: value('pulse_collector_events_total{outcome="accepted"}'),
    messages: value('pulse_collector_message_records_count'),
    records: value('pulse_collector_message_records_sum'),
  };
}

const rows = [];
try {
  for (const target of targets) {
    const port = await freePort();
    const [bin, argv, env] = TARGETS[target](port);
    const child = spawn(bin, argv, { cwd: pkg, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    while ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status !== 200) await sleep(50);
    // readyz reached one process; give the others time to connect to NATS too.
    if (multiProcess(target)) await sleep(2_000);
    for (const name of scenarios) {
      const s = SCENARIOS[name];
      await wrk(port, s, warmup); // warm-up: JIT, connections, key cache
      const before = multiProcess(target) ? {} : await counters(port);
      let peak = 0;
      const rssTree = treeOf(child.pid);
      const sampler = setInterval(() => (peak = Math.max(peak, rssTree.reduce((sum, p) => sum + rssOf(p), 0))), 200);
      const npid = natsPid();
      let wrkPid = 0;
      let wrkTicks = 0;
      const tree = treeOf(child.pid);
      const cpu0 = [cpuTicksOfTree(tree), cpuTicksOf(npid)];
      const wrkSampler = setInterval(() => (wrkTicks = Math.max(wrkTicks, cpuTicksOf(wrkPid))), 100);
      const r = await wrk(port, s, duration, (pid) => (wrkPid = pid));
      clearInterval(sampler);
      clearInterval(wrkSampler);
      const cpuPct = (ticks) => Math.round((ticks / TICKS_PER_SEC / (r.duration_us / 1e6)) * 100);
      const after = multiProcess(target) ? {} : await counters(port);
      const seconds = r.duration_us / 1e6;
      const ok = r.requests - r.non_202;
      rows.push({
        target,
        scenario: name,
        rps: Math.round(r.requests / seconds),
        eps: Math.round((after.accepted !== undefined && before.accepted !== undefined ? after.accepted - before.accepted : ok * s.events) / seconds),
        // Group commit at work: stream messages (PubAcks) a second and requests per message.
        msgs: after.messages !== undefined && before.messages !== undefined ? Math.round((after.messages - before.messages) / seconds) : '',
        perMsg: after.records !== undefined && before.records !== undefined && after.messages !== before.messages
          ? ((after.records - before.records) / (after.messages - before.messages)).toFixed(1)
          : '',
        p50: (r.p50_us / 1000).toFixed(2),
        p99: (r.p99_us / 1000).toFixed(2),
        non202: r.non_202 + r.errors,
        rss: Math.round(peak / 2 ** 20),
        cpuTarget: cpuPct(cpuTicksOfTree(tree) - (cpu0[0] ?? 0)),
        cpuNats: cpuPct(cpuTicksOf(npid) - (cpu0[1] ?? 0)),
        cpuWrk: cpuPct(wrkTicks),
      });
      console.error(JSON.stringify(rows.at(-1)));
      if (paced > 0) {
        // rate = connections × 1000 / (delay + latency): calibrate the latency term with a short run.
        const wanted = (r.requests / seconds) * paced;
        const conns = Number(connections);
        let delay = (conns * 1000) / wanted;
        const probe = await wrk(port, s, '3s', undefined, delay);
        const latency = Math.max(0, (conns * 1000) / (probe.requests / (probe.duration_us / 1e6)) - delay);
        delay = Math.max(0.05, (conns * 1000) / wanted - latency);
        const p = await wrk(port, s, duration, undefined, delay);
        const ps = p.duration_us / 1e6;
        rows.push({
          target,
          scenario: `${name} @${Math.round(paced * 100)}%`,
          rps: Math.round(p.requests / ps),
          eps: Math.round(((p.requests - p.non_202) * s.events) / ps),
          p50: (p.p50_us / 1000).toFixed(2),
          p99: (p.p99_us / 1000).toFixed(2),
          non202: p.non_202 + p.errors,
          rss: '',
          cpuTarget: '',
          cpuNats: '',
          cpuWrk: '',
          msgs: '',
          perMsg: '',
        });
        console.error(JSON.stringify(rows.at(-1)));
      }
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // Every target starts on empty streams: what the ones before it wrote (gigabytes of batches)
    // would otherwise make the order of the targets part of the figures.
    const jsm = await nc.jetstreamManager();
    for (const stream of [EVENTS_STREAM, DLQ_STREAM]) await jsm.streams.purge(stream);
  }
} finally {
  await nc.close();
  await nats.cleanup();
  rmSync(tmp, { recursive: true, force: true });
}

const table = [
  `wrk -t${threads} -c${connections} -d${duration}, nats-server ${execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim()} on the same machine, ${new Date().toISOString()}`,
  '',
  'CPU columns: % of one core used during the run (200% = both cores of a 2-core machine).',
  'events/CPU-s: acked events per second of CPU the target used, which drifts less than throughput on a shared machine.',
  '',
  '| target | scenario | requests/s | events/s (acked) | p50 ms | p99 ms | non-202 | peak RSS MB | CPU target | events/CPU-s | CPU nats-server | CPU wrk | stream msgs/s | requests/msg |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.target} | ${r.scenario} | ${r.rps} | ${r.eps} | ${r.p50} | ${r.p99} | ${r.non202} | ${r.rss} | ${r.cpuTarget} | ${r.cpuTarget ? Math.round(r.eps / (r.cpuTarget / 100)) : ''} | ${r.cpuNats} | ${r.cpuWrk} | ${r.msgs} | ${r.perMsg} |`),
].join('\n');
console.log(table);
if (args.out) writeFileSync(args.out, table + '\n');
