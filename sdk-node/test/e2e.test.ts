import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type Embedded } from '@pulse/embedded';
import { freePort, tempDir, type TempDir } from '@pulse/testkit';
import { Analytics, type PulseError } from '../src/index.js';
import { createTenant, countEvents, kill9, startCollector, waitForCount } from './pipeline.js';

// The real system: nats-server, the collector, the aggregator into chDB, the query API.
let dir: TempDir;
let system: Embedded;

beforeAll(async () => {
  dir = tempDir('pulse-sdk-node-e2e-');
  system = await startEmbedded({
    dataDir: dir.path,
    collectorPort: await freePort(),
    queryPort: await freePort(),
    natsPort: 0,
    aggregatorPort: await freePort(),
    host: '127.0.0.1',
    adminToken: 'sdk-node-e2e-admin-token-0123456789',
    log: () => {},
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  dir?.remove();
}, 120_000);

function analyticsFor(host: string, writeKey: string, errors: PulseError[]): Analytics {
  const a = new Analytics({ writeKey, host, maxQueueSize: 200_000, flushOnExit: false, backoffMinMs: 100, backoffMaxMs: 2_000, maxRetries: 30 });
  a.on('error', (e) => errors.push(e));
  return a;
}

describe('against the real pipeline', () => {
  it('100,000 events tracked → exactly 100,000 counted by /v1/query', async () => {
    const t = await createTenant(system.queryUrl, system.adminToken, 'hundred-k.example');
    const errors: PulseError[] = [];
    const analytics = analyticsFor(system.collectorUrl, t.writeKey, errors);
    for (let i = 0; i < 100_000; i++) {
      analytics.track({ name: i % 10 === 0 ? 'pageview' : 'purchase', url: `https://hundred-k.example/p/${i % 50}`, user_id: `u${i % 977}`, props: { i } });
      // A server tracks between requests: let the SDK's sockets breathe.
      if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
    const result = await analytics.close({ timeoutMs: 120_000 });
    expect(errors).toEqual([]);
    expect(result).toMatchObject({ timedOut: false, unsent: [] });
    expect(analytics.stats()).toMatchObject({ delivered: 100_000, failed: 0, dropped: 0, rejected: 0 });
    expect(await waitForCount(system.queryUrl, t.readKey, t.siteId, 100_000, 90_000)).toBe(100_000);
    // Nothing more trickles in later (no double counting).
    await new Promise((r) => setTimeout(r, 2000));
    expect(await countEvents(system.queryUrl, t.readKey, t.siteId)).toBe(100_000);
  }, 300_000);

  it('the collector killed and restarted mid-run → every event delivered, none twice', async () => {
    const t = await createTenant(system.queryUrl, system.adminToken, 'kill-restart.example');
    const port = await freePort();
    let collector: ChildProcess = await startCollector(port, system.natsUrl);
    const errors: PulseError[] = [];
    const analytics = analyticsFor(`http://127.0.0.1:${port}`, t.writeKey, errors);
    let retries = 0;
    analytics.on('retry', () => retries++);
    const total = 20_000;
    try {
      for (let chunk = 0; chunk < 40; chunk++) {
        for (let i = 0; i < 500; i++) analytics.track({ name: 'order', user_id: `u${i}`, props: { chunk, i } });
        if (chunk === 10) await kill9(collector);
        if (chunk === 20) collector = await startCollector(port, system.natsUrl);
        await new Promise((r) => setTimeout(r, 50));
      }
      const result = await analytics.close({ timeoutMs: 120_000 });
      expect(errors).toEqual([]);
      expect(result.timedOut).toBe(false);
      expect(result.unsent).toEqual([]);
      expect(retries).toBeGreaterThan(0);
      // A batch whose 202 died with the collector is sent again: the SDK may count it twice, the system must not.
      expect(analytics.stats()).toMatchObject({ failed: 0, dropped: 0, rejected: 0 });
      expect(analytics.stats().delivered).toBeGreaterThanOrEqual(total);
      expect(await waitForCount(system.queryUrl, t.readKey, t.siteId, total, 90_000)).toBe(total);
      await new Promise((r) => setTimeout(r, 2000));
      expect(await countEvents(system.queryUrl, t.readKey, t.siteId)).toBe(total);
    } finally {
      await kill9(collector);
    }
  }, 300_000);
});
