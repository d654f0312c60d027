// Startup time and memory of a collector with N write keys registered (default 1,000,000).
// Usage: node bench/million-keys.mjs [N] [node|bun]   (build first: npx tsup)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { KV_WRITE_KEYS, encodeRecord } from '@pulse/protocol';
import { freePort, startNats } from '@pulse/testkit';

const N = Number(process.argv[2] ?? 1_000_000);
const runtime = process.argv[3] ?? 'node';
const pkg = fileURLToPath(new URL('..', import.meta.url));
const keyOf = (i) => `wk_${String(i).padStart(32, '0')}`;

const nats = await startNats();
try {
  const nc = await connect({ servers: nats.url });
  const js = nc.jetstream();
  await js.views.kv(KV_WRITE_KEYS, { history: 1 });
  let t0 = performance.now();
  const window = [];
  for (let i = 0; i < N; i++) {
    const rec = encodeRecord({ site_id: `s_${String(i).padStart(16, '0')}`, merchant_id: 'm_bench00000000000', created_at: Date.now() });
    window.push(js.publish(`$KV.${KV_WRITE_KEYS}.${keyOf(i)}`, rec));
    if (window.length >= 2_000) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  console.log(JSON.stringify({ step: 'loaded', keys: N, seconds: +((performance.now() - t0) / 1000).toFixed(1) }));

  const port = await freePort();
  const bin = runtime === 'bun' ? fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url)) : process.execPath;
  t0 = performance.now();
  const child = spawn(bin, [`dist/main-${runtime}.js`], {
    cwd: pkg,
    env: { ...process.env, NATS_URL: nats.url, COLLECTOR_PORT: String(port), COLLECTOR_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const base = `http://127.0.0.1:${port}`;
  while ((await fetch(`${base}/readyz`).catch(() => undefined))?.status !== 200) await new Promise((r) => setTimeout(r, 20));
  const readyS = (performance.now() - t0) / 1000;
  const rss = () => Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
  const rssReady = rss();
  t0 = performance.now();
  const lookups = 20_000;
  for (let i = 0; i < lookups; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        fetch(`${base}/v1/batch?key=${keyOf(Math.floor(Math.random() * N))}`, { method: 'POST', body: '{"events":[]}' }).then((r) => {
          if (r.status !== 202) throw new Error(`status ${r.status}`);
          return r.arrayBuffer();
        }),
      ),
    );
  }
  const lookupS = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ step: 'collector', runtime, keys: N, ready_seconds: +readyS.toFixed(2), rss_mb_at_ready: +(rssReady / 2 ** 20).toFixed(0), cold_lookups: lookups, lookups_per_sec: Math.round(lookups / lookupS), rss_mb_after: +(rss() / 2 ** 20).toFixed(0) }));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await nc.close();
} finally {
  await nats.cleanup();
}
