import { describe, expect, it } from 'vitest';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM, KV_STATE } from '@pulse/protocol';
import { chdbDir } from '@pulse/testkit';
import {
  createAggregator,
  createReplayManager,
  createReplayMetrics,
  KV_SESSIONS,
  silentLogger,
  type Aggregator,
  type ReplayManager,
  type ReplayMetrics,
  type ReplaySwappedEvent,
} from '../src/index.js';
import { createStorage, type Storage } from '../src/storage/index.js';
import { count, publish, SITE, type Fixture } from './helpers/fixture.js';
import { caughtUp, fixturePerTest, numbers, OTHER_SITE, setSiteRules, totals, traffic } from './helpers/replay.js';

let f: Fixture;
const { aggregators, managers } = fixturePerTest((x) => (f = x));

async function live(storage: Storage = f.storage, batchMaxMessages?: number): Promise<Aggregator> {
  const a = createAggregator({ nats: f.nc, storage, logger: silentLogger, lagRefreshMs: 200, ...(batchMaxMessages ? { batchMaxMessages } : {}) });
  aggregators.push(a);
  await a.start();
  return a;
}

function manager(opts: { batchMaxMessages?: number; onSwapped?: (e: ReplaySwappedEvent) => void; metrics?: ReplayMetrics } = {}): ReplayManager {
  const m = createReplayManager({ nats: f.nc, storage: f.storage, logger: silentLogger, heartbeatMs: 200, ...opts });
  managers.push(m);
  return m;
}

const setExcluded = (site: string, excluded: string[]) => setSiteRules(f.js, site, excluded);

const ADMIN = "site_id = 's_AAAAAAAAAAAAAAAA' AND path LIKE '/admin/%'";

/** The currencies of a site's revenue, per UTC day, in `rollup_site_day` (`revenue_currencies`, migration 0010). */
async function currencies(s: Storage, site = SITE): Promise<{ day: string; currencies: string[] }[]> {
  return s.query(
    `SELECT toString(toDate(bucket)) AS day, arraySort(groupUniqArrayArray(revenue_currencies)) AS currencies
     FROM rollup_site_day WHERE site_id = {site:String} AND is_bot = 0 GROUP BY day ORDER BY day`,
    { site },
  );
}

/** The currencies of all days of `currencies()`. */
const all = (days: { currencies: string[] }[]) => [...new Set(days.flatMap((d) => d.currencies))].sort();

describe('replay: the pipeline it reprocesses', () => {
  it('refuses to run on a NATS no aggregator has used (its salts would be new), creating nothing there', async () => {
    const m = manager();
    const to = Date.now();
    await expect(m.start({ from: to - 3_600_000, to })).rejects.toMatchObject({ code: 'no_pipeline_state' });
    const jsm = await f.nc.jetstreamManager();
    await expect(jsm.streams.info(`KV_${KV_STATE}`)).rejects.toThrow();
    // Once the live pipeline has run, the same request goes through.
    await live();
    const { replay_id } = await m.start({ from: to - 3_600_000, to });
    expect(replay_id).toMatch(/^rp_/);
  });
});

describe('replay: the excluded_paths story', () => {
  it('removes old /admin/* events, changes nothing else, matches a fresh pipeline, and is idempotent', async () => {
    await setExcluded(SITE, []);
    await live();
    const t0 = Date.now() - 40 * 60_000;
    for (let i = 0; i < 4; i++) await publish(f.js, [...traffic(t0 + i * 2000), ...traffic(t0 + i * 2000, { site: OTHER_SITE })]);
    await caughtUp(await f.nc.jetstreamManager());
    const oldAdmin = await count(f.storage, ADMIN);
    expect(oldAdmin).toBe(4 * 3 * 2);

    await setExcluded(SITE, ['/admin/*']);
    const t1 = Date.now() - 5 * 60_000;
    for (let i = 0; i < 3; i++) await publish(f.js, [...traffic(t1 + i * 2000), ...traffic(t1 + i * 2000, { site: OTHER_SITE })]);
    const jsm = await f.nc.jetstreamManager();
    await caughtUp(jsm);
    // New /admin/* events are dropped, the old ones still counted.
    expect(await count(f.storage, `${ADMIN} AND ts >= fromUnixTimestamp64Milli(${t1})`)).toBe(0);
    expect(await count(f.storage, ADMIN)).toBe(oldAdmin);
    const before = await totals(f.storage);
    const otherBefore = await numbers(f.storage);
    // Revenue per request: EUR 12.5 + 14.5, USD 13.5 on /shop, GBP 3 × 4.25 on /admin/settings (none since the rule).
    const shopBefore = await currencies(f.storage);
    expect(all(shopBefore)).toEqual(['EUR', 'GBP', 'USD']);
    const shopCurrencies = shopBefore.map((d) => ({ ...d, currencies: d.currencies.filter((c) => c !== 'GBP') }));
    expect(all(shopCurrencies)).toEqual(['EUR', 'USD']);
    const otherCurrencies = await currencies(f.storage, OTHER_SITE);
    expect(all(otherCurrencies)).toEqual(['EUR', 'GBP', 'USD']);

    // Dashboards polling while the replay runs and swaps.
    const seen: Awaited<ReturnType<typeof totals>>[] = [];
    let polling = true;
    const loop = (async () => {
      while (polling) seen.push(await totals(f.storage));
    })();
    const swapped: ReplaySwappedEvent[] = [];
    const m = manager({ onSwapped: (e) => swapped.push(e) });
    // The range reaches into the open period (to = in an hour).
    const range = { from: new Date(t0 - 60 * 60_000).toISOString(), to: new Date(Date.now() + 60 * 60_000).toISOString() };
    const { replay_id } = await m.start(range);
    const done = await m.wait(replay_id);
    polling = false;
    await loop;
    expect(done).toMatchObject({ state: 'done', phase: 'done', progress: 1, from: range.from, to: range.to });
    expect(done.source.stream).toBeGreaterThan(0);
    expect(done.events_done).toBeGreaterThan(0);
    expect(done.rate).toBeGreaterThan(0);

    const after = await totals(f.storage);
    expect(await count(f.storage, ADMIN)).toBe(0);
    expect(after.raw).toBe(before.raw - oldAdmin);
    expect(after.pages).toBe(before.pages - oldAdmin);
    // No dip below the final value, no double count above the initial one, in any table.
    expect(seen.length).toBeGreaterThan(3);
    for (const s of seen) {
      for (const k of ['raw', 'minute', 'pages', 'sources', 'visits'] as const) {
        expect(s[k]).toBeGreaterThanOrEqual(after[k]);
        expect(s[k]).toBeLessThanOrEqual(before[k]);
      }
    }
    await waitUntil(() => swapped.length === 1);
    expect(swapped[0]).toEqual({ replay_id, from: range.from, to: range.to });

    // Every other number unchanged: the other site's rows and rollups, and the site's non-admin rows.
    const afterNumbers = await numbers(f.storage);
    // The site rollup's currencies were swapped with it: the excluded GBP revenue is gone, the rest kept.
    expect(await currencies(f.storage)).toEqual(shopCurrencies);
    expect(await currencies(f.storage, OTHER_SITE)).toEqual(otherCurrencies);
    const notAdmin = (rows: Record<string, unknown>[]) => rows.filter((r) => !(r.site_id === SITE && String(r.path).startsWith('/admin/')));
    expect(afterNumbers.rows).toEqual(notAdmin(otherBefore.rows));
    const otherSite = (n: typeof afterNumbers) => Object.fromEntries(Object.entries(n.rollups).map(([t, rows]) => [t, rows.filter((r) => (r as { site_id: string }).site_id === OTHER_SITE)]));
    expect(otherSite(afterNumbers)).toEqual(otherSite(otherBefore));

    // Same range again: same numbers.
    const again = await m.wait((await m.start(range)).replay_id);
    expect(again.state).toBe('done');
    expect(await numbers(f.storage)).toEqual(afterNumbers);

    // A fresh pipeline over the same stream with today's settings computes the same numbers.
    for (const a of aggregators.splice(0)) await a.stop();
    await f.storage.close();
    await jsm.consumers.delete(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    await jsm.streams.delete(`KV_${KV_SESSIONS}`);
    const dir = chdbDir();
    const fresh = createStorage({ path: dir.path });
    try {
      await live(fresh);
      await caughtUp(jsm);
      expect(await numbers(fresh)).toEqual(afterNumbers);
      expect(await currencies(fresh)).toEqual(shopCurrencies);
    } finally {
      for (const a of aggregators.splice(0)) await a.stop();
      await fresh.close();
      dir.remove();
    }
  });
});

describe('replay: conflicts, cancel, live ingestion during the swap', () => {
  it('refuses an overlapping replay, a cancelled one leaves live data untouched, live events during a replay are all kept', async () => {
    await setExcluded(SITE, []);
    // Small live batches: inserts land every few tens of ms, so they do race the swap.
    await live(f.storage, 10);
    const t0 = Date.now() - 20 * 60_000;
    for (let i = 0; i < 120; i++) await publish(f.js, traffic(t0 + i * 1000, { visitors: 1 }));
    const jsm = await f.nc.jetstreamManager();
    await caughtUp(jsm);
    const before = await numbers(f.storage);

    const metrics = createReplayMetrics();
    const m = manager({ batchMaxMessages: 5, metrics });
    /** `name{labels} value` of every replay series the registry exports. */
    const series = async () =>
      Object.fromEntries([...(await metrics.registry.metrics()).matchAll(/^(pulse_replay_\w+(?:\{[^}]*\})?) (\S+)$/gm)].map((x) => [x[1] ?? '', Number(x[2])]));
    // Exported before any replay ran, at zero.
    expect(await series()).toEqual({
      'pulse_replay_finished_total{state="done"}': 0,
      'pulse_replay_finished_total{state="failed"}': 0,
      'pulse_replay_finished_total{state="cancelled"}': 0,
      'pulse_replay_messages_total{source="stream"}': 0,
      'pulse_replay_messages_total{source="archive"}': 0,
      pulse_replay_running: 0,
      pulse_replay_events_total: 0,
      pulse_replay_rows_staged_total: 0,
    });
    const range = { from: new Date(t0 - 60_000).toISOString(), to: new Date(Date.now() + 60 * 60_000).toISOString() };
    const first = await m.start(range);
    expect(await series()).toMatchObject({ pulse_replay_running: 1, [`pulse_replay_progress_ratio{replay_id="${first.replay_id}"}`]: expect.any(Number) });
    await expect(m.start({ ...range, site_id: SITE })).rejects.toMatchObject({ code: 'replay_conflict', conflictingReplayId: first.replay_id });
    await expect(m.start({ from: range.from, to: range.to })).rejects.toMatchObject({ code: 'replay_conflict' });
    await m.cancel(first.replay_id);
    const cancelled = await m.wait(first.replay_id);
    expect(cancelled).toMatchObject({ state: 'failed', error: { code: 'cancelled' } });
    expect(await series()).toMatchObject({ pulse_replay_running: 0, 'pulse_replay_finished_total{state="cancelled"}': 1, 'pulse_replay_finished_total{state="failed"}': 0 });
    expect(await numbers(f.storage)).toEqual(before);
    const [staging] = await f.storage.query<{ n: number }>("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name LIKE 'rp\\_%'");
    expect(staging?.n).toBe(0);

    // Live ingestion keeps going through the replay and its swap: nothing lost, nothing doubled.
    let publishing = true;
    let published = 120;
    const writer = (async () => {
      while (publishing) {
        await publish(f.js, traffic(Date.now() - 1000, { visitors: 1 }));
        published++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const second = await m.start(range);
    const done = await m.wait(second.replay_id);
    publishing = false;
    await writer;
    expect(done.state).toBe('done');
    const after = await series();
    expect(after).toMatchObject({
      pulse_replay_running: 0,
      'pulse_replay_finished_total{state="done"}': 1,
      'pulse_replay_finished_total{state="cancelled"}': 1,
      pulse_replay_events_total: cancelled.events_done + done.events_done,
      pulse_replay_rows_staged_total: cancelled.rows_staged + done.rows_staged,
    });
    expect(after['pulse_replay_messages_total{source="stream"}']).toBe(cancelled.source.stream + done.source.stream);
    expect(Object.keys(after).filter((k) => k.startsWith('pulse_replay_progress_ratio'))).toEqual([]);
    await caughtUp(jsm);
    const perMessage = 5; // 4 pageviews + 1 custom event
    expect(await count(f.storage)).toBe(published * perMessage);
    const t = await totals(f.storage);
    expect(t).toEqual({ raw: published * perMessage, minute: published * perMessage, pages: published * 4, sources: published * perMessage, visits: published * perMessage });
    expect(published).toBeGreaterThan(125);
  });
});

describe('replay: from the archive', () => {
  it('gives the same result after the stream lost its messages', async () => {
    await setExcluded(SITE, []);
    await live();
    const t0 = Date.now() - 30 * 60_000;
    for (let i = 0; i < 5; i++) await publish(f.js, [...traffic(t0 + i * 1000), ...traffic(t0 + i * 1000, { site: OTHER_SITE })]);
    const jsm = await f.nc.jetstreamManager();
    await caughtUp(jsm);
    await setExcluded(SITE, ['/admin/*']);
    const m = manager();
    const range = { from: new Date(t0 - 60_000).toISOString(), to: new Date(Date.now()).toISOString(), site_id: SITE };
    const fromStream = await m.wait((await m.start(range)).replay_id);
    expect(fromStream).toMatchObject({ state: 'done', source: { stream: 5, archive: 0 } });
    const expected = await numbers(f.storage);
    expect(await count(f.storage, ADMIN)).toBe(0);

    await jsm.streams.purge(EVENTS_STREAM);
    expect((await jsm.streams.info(EVENTS_STREAM)).state.messages).toBe(0);
    // Undo the replay's effect on live data so the archive replay has something to do.
    await setExcluded(SITE, []);
    await f.storage.command("ALTER TABLE events DELETE WHERE site_id = 's_AAAAAAAAAAAAAAAA' SETTINGS mutations_sync = 1");
    await setExcluded(SITE, ['/admin/*']);
    const fromArchive = await m.wait((await m.start(range)).replay_id);
    expect(fromArchive).toMatchObject({ state: 'done', source: { stream: 0, archive: 5 } });
    expect(await numbers(f.storage)).toEqual(expected);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
