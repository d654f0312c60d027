// Tracks events with @pulse/sdk-node in its own process (the app under load is not the system
// under test): as fast as the SDK delivers, or paced with probe events for freshness.
import { Analytics } from '@pulse/sdk-node';
import { AGENTS, CAMPAIGNS, REFERRERS, SITE_HOST, pagePath, pick, rng, skewed } from '../fixtures/web.js';
import { MAX_BACKLOG, type SenderConfig, type SenderLine } from './sender-protocol.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as SenderConfig;
const emit = (l: SenderLine) => process.stdout.write(JSON.stringify(l) + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const analytics = new Analytics({ writeKey: cfg.writeKey, host: cfg.host, maxQueueSize: MAX_BACKLOG * 4, flushOnExit: false });
let failed = 0;
analytics.on('error', (err) => {
  failed++;
  if (failed <= 5) process.stderr.write(`[e2e-sender] ${err.code}: ${err.message}\n`);
});

const r = rng(7);
let n = 0;
function trackOne(): void {
  const visitor = skewed(r(), 20_000, 2);
  const path = pagePath(skewed(r(), 2_000));
  const campaign = pick(CAMPAIGNS, r());
  if (r() < 0.7) {
    analytics.pageview({
      url: `https://${SITE_HOST}${path}${campaign.query}`,
      referrer: pick(REFERRERS, r()).url,
      title: `Shop – ${path}`,
      visitor_id: `v_${visitor}`,
      user_id: visitor % 3 === 0 ? `u_${visitor}` : undefined,
      props: { plan: visitor % 5 === 0 ? 'pro' : 'free', agent: pick(AGENTS, r()).browser || 'bot' },
    });
  } else {
    analytics.track({ name: r() < 0.5 ? 'add_to_cart' : 'signup', visitor_id: `v_${visitor}`, url: `https://${SITE_HOST}${path}`, props: { sku: `sku-${visitor % 500}` } });
  }
  n++;
}

const backlog = () => {
  const s = analytics.stats();
  return s.queued + s.inFlight;
};

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
const cpu0 = process.cpuUsage();
const startedAt = Date.now();
const end = startedAt + cfg.seconds * 1000;
if (cfg.eventsPerSec === undefined) {
  while (Date.now() < end) {
    if (backlog() < MAX_BACKLOG) for (let i = 0; i < 500; i++) trackOne();
    else await sleep(1);
  }
} else {
  let probes = 0;
  let lastProbe = 0;
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - startedAt) * cfg.eventsPerSec) / 1000);
    while (n < due && backlog() < MAX_BACKLOG) trackOne();
    const now = Date.now();
    if (now - lastProbe >= (cfg.probeIntervalMs ?? 100)) {
      lastProbe = now;
      const id = `p${probes++}`;
      analytics.track({ name: 'bench_probe', props: { probe: id } });
      n++;
      emit({ type: 'probe', id, at: now });
    }
    await sleep(5);
  }
}
await analytics.close({ timeoutMs: 120_000 });
clearInterval(sampler);
const cpu = process.cpuUsage(cpu0);
const s = analytics.stats();
emit({
  type: 'done',
  tracked: n,
  delivered: s.delivered,
  rejected: s.rejected,
  failed: s.failed,
  dropped: s.dropped,
  startedAt,
  endedAt: Date.now(),
  peakRssMb: Math.round(peakRss / 2 ** 20),
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
});
