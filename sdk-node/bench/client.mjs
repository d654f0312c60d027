// One SDK, one process: node client.mjs <pulse|pulse-fetch|segment|posthog> <events> <sinkUrl> [flushAt]
// Tracks the same events in chunks of 1,000 (yielding in between, as a server does
// between requests), waits until the SDK has sent everything, and prints one JSON line.
import { setImmediate as yieldLoop } from 'node:timers/promises';

const [sdk, nArg, sinkUrl, flushAtArg] = process.argv.slice(2);
const n = Number(nArg);
const flushAt = flushAtArg ? Number(flushAtArg) : undefined;

async function makeClient() {
  switch (sdk) {
    case 'pulse':
    case 'pulse-fetch': {
      const { Analytics } = await import('@pulse/sdk-node');
      const a = new Analytics({
        writeKey: 'wk_bench',
        host: sinkUrl,
        transport: sdk === 'pulse' ? 'http' : 'fetch',
        maxQueueSize: n,
        ...(flushAt ? { flushAt } : {}),
      });
      return {
        track: (i) => a.track({ name: 'purchase', user_id: `user-${i % 1000}`, props: { plan: 'pro', amount: i % 100, path: '/checkout' } }),
        close: () => a.close({ timeoutMs: 600_000 }),
      };
    }
    case 'segment': {
      const { Analytics } = await import('@segment/analytics-node');
      const a = new Analytics({ writeKey: 'bench', host: sinkUrl, path: '/v1/batch', ...(flushAt ? { maxEventsInBatch: flushAt } : {}) });
      return {
        track: (i) => a.track({ userId: `user-${i % 1000}`, event: 'purchase', properties: { plan: 'pro', amount: i % 100, path: '/checkout' } }),
        close: () => a.closeAndFlush({ timeout: 600_000 }),
      };
    }
    case 'posthog': {
      const { PostHog } = await import('posthog-node');
      const a = new PostHog('phc_bench', { host: sinkUrl, maxQueueSize: n, ...(flushAt ? { flushAt } : {}) });
      return {
        track: (i) => a.capture({ distinctId: `user-${i % 1000}`, event: 'purchase', properties: { plan: 'pro', amount: i % 100, path: '/checkout' } }),
        close: () => a.shutdown(600_000),
      };
    }
    default:
      throw new Error(`unknown sdk ${sdk}`);
  }
}

const client = await makeClient();
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  client.track(i);
  if (i % 1000 === 999) await yieldLoop();
}
const trackedMs = performance.now() - t0;
await client.close();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
const maxRssKb = process.resourceUsage().maxRSS;
console.log(
  JSON.stringify({
    sdk,
    events: n,
    wallMs: Math.round(ms),
    trackLoopMs: Math.round(trackedMs),
    eventsPerSec: Math.round(n / (ms / 1000)),
    cpuUsPerEvent: Number(((cpu.user + cpu.system) / n).toFixed(2)),
    peakRssMb: Number((Math.max(peakRss, maxRssKb * 1024) / 1048576).toFixed(1)),
  }),
);
