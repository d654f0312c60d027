// The SDK benchmark: node bench/run.mjs [events=1000000] [sdks=pulse,segment,posthog] [flushAt]
// Each SDK runs in a fresh process against one sink process; the sink's count checks
// that every event arrived. Prints a Markdown table for docs/BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const n = Number(process.argv[2] ?? 1_000_000);
const sdks = (process.argv[3] ?? 'pulse,segment,posthog').split(',');
const flushAt = process.argv[4];

function start(args) {
  const child = spawn(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const line = new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(out.slice(0, nl)));
    });
    child.on('exit', (code) => (code ? reject(new Error(`${args.join(' ')} exited ${code}`)) : undefined));
  });
  return { child, line };
}

const sink = start(['sink.mjs']);
const { port } = await sink.line;
const sinkUrl = `http://127.0.0.1:${port}`;
const rows = [];
try {
  for (const sdk of sdks) {
    await fetch(`${sinkUrl}/reset`, { method: 'POST' });
    const client = start(['client.mjs', sdk, String(n), sinkUrl, ...(flushAt ? [flushAt] : [])]);
    const result = await client.line;
    await new Promise((r) => client.child.on('exit', r));
    const stats = await (await fetch(`${sinkUrl}/stats`)).json();
    rows.push({ ...result, received: stats.events, requests: stats.requests, bodyMb: Number((stats.bytes / 1048576).toFixed(1)) });
    console.error(JSON.stringify(rows.at(-1)));
  }
} finally {
  sink.child.kill('SIGTERM');
}

console.log(`\n${n.toLocaleString('en')} events per SDK, Node ${process.version}, ${flushAt ? `flushAt ${flushAt}` : 'default batching'}\n`);
console.log('| SDK | events/s | CPU µs/event | peak RSS MB | received | requests | body MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.sdk} | ${r.eventsPerSec.toLocaleString('en')} | ${r.cpuUsPerEvent} | ${r.peakRssMb} | ${r.received.toLocaleString('en')} | ${r.requests} | ${r.bodyMb} |`);
}
