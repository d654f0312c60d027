import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir, servicePorts } from '@pulse/testkit';
import { startCluster, type Cluster } from '../src/index.js';
import { countEvents, createTenant, type Tenant } from './admin.js';
import { backendRetries, eventsLeader, natsClient, sleep, until, waitAggregatorsIdle, waitBackendsUp, waitStreamsCurrent } from './cluster-checks.js';
import { startLoad, type LoadResult } from './load.js';
import { chaosProfile } from './profile.js';

/**
 * Fault tests: each scenario runs continuous SDK traffic (unique event ids) to its own site through
 * the load balancer, injects one fault in the middle, lets the SDK finish with its retries, and
 * then requires exactly: every event answered 202 counted once by POST /v1/query, nothing more,
 * and no failed, rejected or dropped send.
 */
const profile = chaosProfile();
const REPORT = process.env.CHAOS_REPORT ?? join(tmpdir(), `pulse-chaos-${profile.name}.jsonl`);
const REPLICAS = 3;

let dir: TempDir;
let cluster: Cluster;
let nc: NatsConnection;
let faultFile: string;


beforeAll(async () => {
  dir = tempDir('pulse-chaos-');
  faultFile = join(dir.path, 'storage-fault');
  const [lbPort, lbStatsPort, queryPort, ...rest] = await servicePorts(13);
  cluster = await startCluster({
    dataDir: dir.path,
    lbPort,
    lbStatsPort,
    queryPort,
    aggregatorPorts: rest.slice(0, 2),
    collectorPorts: rest.slice(2, 4),
    natsPorts: rest.slice(4, 7),
    natsRoutePorts: rest.slice(7, 10),
    replicas: REPLICAS,
    storageFaultFile: faultFile,
    log: () => {},
  });
  nc = await natsClient(cluster.natsServers);
  writeFileSync(REPORT, '');
});

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
  // Keep the logs of a failed run for whoever investigates.
  if (process.env.CHAOS_KEEP_DATA) process.stdout.write(`chaos data and logs kept in ${dir.path}\n`);
  else dir?.remove();
});

/** Waits until /v1/query shows at least `expected` events (more ends the wait: a double count), then re-counts once the aggregators are idle. */
async function settledCount(tenant: Tenant, since: number, expected: number): Promise<number> {
  const seen = await until(`${expected} events counted`, 180_000, async () => {
    const n = await countEvents(cluster.queryUrl, tenant, since);
    return n !== undefined && n >= expected ? n : undefined;
  });
  if (seen !== expected) return seen;
  await waitAggregatorsIdle(cluster.aggregatorUrls);
  return until('a final count', 30_000, () => countEvents(cluster.queryUrl, tenant, since));
}

async function healthy(): Promise<void> {
  await waitStreamsCurrent(nc, REPLICAS);
  await Promise.all([...cluster.collectors, cluster.core, cluster.lb].map((s) => s.waitReady(60_000)));
  await waitBackendsUp(cluster.lbStatsUrl, cluster.collectors.length);
  expect(await cluster.underReplicated()).toEqual([]);
}

/** Runs load, injects the fault after the warm-up, and checks the exact count. */
async function scenario(tag: string, inject: () => Promise<Record<string, unknown>>): Promise<void> {
  await healthy();
  const tenant = await createTenant(cluster.queryUrl, cluster.adminToken, tag);
  const since = Date.now();
  const load = startLoad({ ingestUrl: cluster.ingestUrl, writeKey: tenant.writeKey, eventsPerSec: profile.eventsPerSec, tag });
  await sleep(profile.warmupMs);
  const t0 = Date.now();
  const details = await inject();
  const faultMs = Date.now() - t0;
  await sleep(profile.afterMs);
  const result: LoadResult = await load.finish();
  const sentAt = Date.now();
  const counted = await settledCount(tenant, since, result.delivered);
  // From the last 202 to an exact, confirmed count: how long the pipeline took to catch up.
  const settleMs = Date.now() - sentAt;
  const entry = { scenario: tag, profile: profile.name, events_per_sec: profile.eventsPerSec, fault_ms: faultMs, ...details, ...result, counted, settle_ms: settleMs, elapsed_ms: Date.now() - since };
  appendFileSync(REPORT, JSON.stringify(entry) + '\n');
  process.stdout.write(`[chaos] ${JSON.stringify(entry)}\n`);
  expect(result.errors).toEqual([]);
  expect({ failed: result.failed, rejected: result.rejected, dropped: result.dropped, unsent: result.unsent }).toEqual({ failed: 0, rejected: 0, dropped: 0, unsent: 0 });
  expect(result.delivered).toBe(result.tracked);
  expect(counted).toBe(result.delivered);
  await healthy();
}

describe(`faults under load (${profile.name} profile: ${profile.eventsPerSec} events/s)`, () => {
  it('SIGKILL of the NATS node leading EVENTS, restarted on its store', async () => {
    await scenario('nats-node-kill', async () => {
      const leader = await eventsLeader(nc);
      const node = cluster.nats[Number(leader.slice(1))];
      if (!node) throw new Error(`no node ${leader}`);
      await node.kill();
      const killedAt = Date.now();
      const newLeader = await until('a new EVENTS leader', 30_000, async () => {
        const l = await eventsLeader(nc, 2000);
        return l !== leader ? l : undefined;
      });
      const electionMs = Date.now() - killedAt;
      await sleep(profile.faultMs);
      await node.restart();
      return { killed: leader, new_leader: newLeader, new_leader_after_ms: electionMs };
    });
  });

  it('SIGKILL of one collector: the load balancer routes around it', async () => {
    await scenario('collector-kill', async () => {
      const victim = cluster.collectors[0]!;
      const before = await backendRetries(cluster.lbStatsUrl);
      await victim.kill();
      await sleep(profile.faultMs);
      const after = await backendRetries(cluster.lbStatsUrl);
      await victim.start();
      return { killed: victim.name, lb_retries: after.retries - before.retries, lb_redispatches: after.redispatches - before.redispatches };
    });
  });

  it('SIGKILL of the core process (aggregators + query API), restarted on the same data', async () => {
    await scenario('core-kill', async () => {
      await cluster.core.kill();
      await sleep(profile.faultMs);
      await cluster.core.start();
      return { killed: 'core' };
    });
  });

  it('all of NATS killed at once and started again', async () => {
    await scenario('nats-all-restart', async () => {
      await Promise.all(cluster.nats.map((n) => n.kill()));
      await sleep(profile.faultMs);
      await Promise.all(cluster.nats.map((n) => n.restart()));
      return { killed: cluster.nats.length };
    });
  });

  it('ClickHouse unavailable (storage fails: answers lost, then refused) and back', async () => {
    await scenario('storage-unavailable', async () => {
      writeFileSync(faultFile, 'lost-reply');
      await sleep(profile.faultMs / 2);
      writeFileSync(faultFile, 'down');
      await sleep(profile.faultMs / 2);
      rmSync(faultFile, { force: true });
      return { modes: ['lost-reply', 'down'] };
    });
  });

  it('the core process frozen (SIGSTOP) and thawed (SIGCONT)', async () => {
    await scenario('core-sigstop', async () => {
      cluster.core.pause();
      await sleep(profile.faultMs);
      cluster.core.resume();
      return { paused: 'core' };
    });
  });

  it('rolling SIGTERM restart of every service: zero lost, zero failed sends', async () => {
    await scenario('rolling-restart', async () => {
      const exits: Record<string, number | null> = {};
      // nats-server exits on SIGTERM; each node must be back and current before the next goes.
      for (const node of cluster.nats) {
        await node.restart();
        await waitStreamsCurrent(nc, REPLICAS);
      }
      for (const c of cluster.collectors) {
        exits[c.name] = await c.stop();
        await c.start();
        await waitBackendsUp(cluster.lbStatsUrl, cluster.collectors.length);
      }
      exits.core = await cluster.core.stop();
      await cluster.core.start();
      expect(Object.values(exits).every((code) => code === 0)).toBe(true);
      return { restarted: [...cluster.nats.map((_, i) => `nats-n${i}`), ...Object.keys(exits)], exit_codes: exits };
    });
  });
});
