// Collector benchmark: wrk against (a) a bare uWS server, (b) a node:http baseline collector,
// (c) our collector on uWS/Node, (d) our collector on Bun — same machine, same nats-server.
// Usage: node bench/run.mjs [--duration 15s] [--connections 64] [--threads 2] [--targets bare,baseline,uws,bun]
//                           [--scenarios beacon,batch100] [--out results.md]
// Needs wrk (Debian: apt-get install wrk), nats-server, and a build (npx tsup).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { KV_WRITE_KEYS, encodeRecord } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { freePort, startNats } from '@pulse/testkit';
import { ensureStreams } from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const duration = args.duration ?? '15s';
const connections = args.connections ?? '64';
const threads = args.threads ?? '2';
const targets = (args.targets ?? 'bare,baseline,uws,bun').split(',');
const scenarios = (args.scenarios ?? 'beacon,batch100').split(',');
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

const collectorEnv = { NATS_URL: nats.url, COLLECTOR_HOST: '127.0.0.1', COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '0', LOG_LEVEL: 'warn' };
const TARGETS = {
  bare: (port) => [process.execPath, ['bench/bare-server.mjs'], { PORT: String(port) }],
  baseline: (port) => [process.execPath, ['bench/baseline-node-http.mjs'], { PORT: String(port), NATS_URL: nats.url }],
  uws: (port) => [process.execPath, ['dist/main-node.js'], { ...collectorEnv, COLLECTOR_PORT: String(port) }],
  bun: (port) => [bun, ['dist/main-bun.js'], { ...collectorEnv, COLLECTOR_PORT: String(port) }],
};

const rssOf = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};

/** Runs wrk asynchronously, so the RSS sampler keeps ticking. */
async function wrk(port, s, dur) {
  const child = spawn('wrk', ['-t', threads, '-c', connections, '-d', dur, '--latency', '-s', lua, `http://127.0.0.1:${port}${s.path}`], {
    env: { ...process.env, BODY_FILE: s.file, CONTENT_TYPE: s.type, AUTH: s.auth, REQ_PATH: s.path },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  const line = out.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`unexpected wrk output:\n${out}`);
  return JSON.parse(line.slice(5));
}

async function acceptedEvents(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith('pulse_collector_events_total{outcome="accepted"}'));
  return line ? Number(line.split(' ')[1]) : undefined;
}

const rows = [];
try {
  for (const target of targets) {
    const port = await freePort();
    const [bin, argv, env] = TARGETS[target](port);
    const child = spawn(bin, argv, { cwd: pkg, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    while ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status !== 200) await sleep(50);
    for (const name of scenarios) {
      const s = SCENARIOS[name];
      await wrk(port, s, '2s'); // warm-up: JIT, connections, key cache
      const before = await acceptedEvents(port);
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid))), 200);
      const r = await wrk(port, s, duration);
      clearInterval(sampler);
      const after = await acceptedEvents(port);
      const seconds = r.duration_us / 1e6;
      const ok = r.requests - r.non_202;
      rows.push({
        target,
        scenario: name,
        rps: Math.round(r.requests / seconds),
        eps: Math.round(((after !== undefined && before !== undefined ? after - before : ok * s.events)) / seconds),
        p50: (r.p50_us / 1000).toFixed(2),
        p99: (r.p99_us / 1000).toFixed(2),
        non202: r.non_202 + r.errors,
        rss: Math.round(peak / 2 ** 20),
      });
      console.error(JSON.stringify(rows.at(-1)));
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
} finally {
  await nc.close();
  await nats.cleanup();
  rmSync(tmp, { recursive: true, force: true });
}

const table = [
  `wrk -t${threads} -c${connections} -d${duration}, nats-server ${execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim()} on the same machine, ${new Date().toISOString()}`,
  '',
  '| target | scenario | requests/s | events/s (acked) | p50 ms | p99 ms | non-202 | peak RSS MB |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.target} | ${r.scenario} | ${r.rps} | ${r.eps} | ${r.p50} | ${r.p99} | ${r.non202} | ${r.rss} |`),
].join('\n');
console.log(table);
if (args.out) writeFileSync(args.out, table + '\n');
