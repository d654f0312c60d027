import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecord, KV_SITES, KV_STATE, type SiteRecord } from '@pulse/protocol';
import { createAggregator, readWatermark, silentLogger, type Aggregator } from '../src/index.js';
import { ddlContext, MIGRATIONS, migrate, ROLLUPS, stepSql } from '../src/storage/index.js';
import { faulty } from './helpers/faulty-storage.js';
import { count, fixture, publish, record, SITE, waitFor, type Fixture } from './helpers/fixture.js';

let f: Fixture;
const running: Aggregator[] = [];
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  await f.cleanup();
});

function site(excluded: string[]): SiteRecord {
  return { site_id: SITE, merchant_id: 'm_AAAAAAAAAAAAAAAA', domain: 'shop.example.com', timezone: 'UTC', settings: { excluded_paths: excluded }, created_at: 1 };
}

const pageAt = (path: string) =>
  record({ events: [{ id: `p-${path}-${Math.random()}`, name: 'pageview', ts: Date.now() - 1000, url: `https://shop.example.com${path}` }] });

describe('per-site excluded_paths', () => {
  it('drops events on excluded paths and follows changes live', async () => {
    const sites = await f.js.views.kv(KV_SITES, { history: 1 });
    await sites.put(SITE, encodeRecord(site(['/admin/*'])));
    const a = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger });
    running.push(a);
    await a.start();
    await publish(f.js, [pageAt('/admin/users'), pageAt('/shop')]);
    await waitFor('one row', async () => (await count(f.storage)) === 1);
    expect(await count(f.storage, "path = '/admin/users'")).toBe(0);

    await sites.put(SITE, encodeRecord(site(['/shop'])));
    // The watch applies the change to the next batches; wait until it shows.
    await waitFor('new rule applied', async () => {
      await publish(f.js, [pageAt('/admin/users')]);
      await new Promise((r) => setTimeout(r, 1200));
      return (await count(f.storage, "path = '/admin/users'")) > 0;
    });
    const shopBefore = await count(f.storage, "path = '/shop'");
    const admin = await count(f.storage, "path = '/admin/users'");
    await publish(f.js, [pageAt('/shop'), pageAt('/admin/users')]);
    await waitFor('admin row of the last pair', async () => (await count(f.storage, "path = '/admin/users'")) === admin + 1);
    expect(await count(f.storage, "path = '/shop'")).toBe(shopBefore);
    const metrics = await a.metrics.registry.getSingleMetricAsString('pulse_aggregator_excluded_events_total');
    expect(metrics).toMatch(/ [1-9]\d*$/m);
  });
});

describe('lag and watermark', () => {
  it('publishes complete_through in PULSE_STATE and reports the oldest unprocessed age while stuck', async () => {
    const storage = faulty(f.storage);
    const a = createAggregator({ nats: f.nc, storage, logger: silentLogger, lagRefreshMs: 200, watermarkMarginMs: 1000, retryInitialMs: 50, retryMaxMs: 200 });
    running.push(a);
    await a.start();
    const state = await f.js.views.kv(KV_STATE, { history: 1 });
    const before = Date.now();
    await waitFor('watermark', async () => ((await readWatermark(state))?.complete_through ?? 0) >= before - 1000);

    storage.down = true;
    const stuckAt = Date.now();
    await publish(f.js, [record({}, 2)]);
    await waitFor('age grows', async () => a.status().oldestUnprocessedAgeMs >= 1000);
    const held = await readWatermark(state);
    // The watermark stops before the stuck message (minus the margin) and does not advance.
    expect(held!.complete_through).toBeLessThanOrEqual(stuckAt);
    await new Promise((r) => setTimeout(r, 600));
    expect((await readWatermark(state))!.complete_through).toBe(held!.complete_through);
    expect(await a.metrics.registry.getSingleMetricAsString('pulse_aggregator_oldest_unprocessed_age_seconds')).toMatch(/ [1-9]/);

    storage.down = false;
    await waitFor('stored', async () => (await count(f.storage)) === 2);
    await waitFor('watermark moves on', async () => ((await readWatermark(state))?.complete_through ?? 0) > stuckAt);
    expect(a.status().oldestUnprocessedAgeMs).toBe(0);
  });
});

describe('migrations on an existing data directory', () => {
  it('aggregators starting at once (separate processes, NATS lock) backfill a new rollup once', async () => {
    await migrate(f.storage, { migrations: MIGRATIONS.filter((m) => m.id < '0006') });
    const now = Date.now() - 60_000;
    await f.storage.insert(
      'events',
      Array.from({ length: 40 }, (_, i) => ({
        site_id: SITE, ts: now + i, event_id: `e-${i}`, name: 'pageview', visitor_id: `v${i % 7}`, session_id: `s${i}`, path: '/',
        received_at: now, stream_seq: 1,
      })),
    );
    // Each its own holder of the lock, and no in-process queue between them: as two processes.
    const aggregators = [0, 1].map(() => {
      const storage = faulty(f.storage);
      storage.exclusive = (fn) => fn();
      return createAggregator({ nats: f.nc, storage, logger: silentLogger, storeLock: 'nats' });
    });
    running.push(...aggregators);
    await Promise.all(aggregators.map((a) => a.start()));
    const [site] = await f.storage.query<{ events: number }>('SELECT sum(events) AS events FROM rollup_site_day');
    expect(site?.events).toBe(40);
    const [paths] = await f.storage.query<{ events: number }>('SELECT sum(events) AS events FROM rollup_paths_by_path_day');
    expect(paths?.events).toBe(40);
  });

  it('a rollup backfill killed half way is emptied and run again, not kept short', async () => {
    const before = MIGRATIONS.filter((m) => m.id < '0006');
    await migrate(f.storage, { migrations: before });
    const day = Date.UTC(2026, 0, 10);
    const rows = (month: number) =>
      Array.from({ length: 3 }, (_, i) => ({
        site_id: SITE, ts: day + month * 31 * 86_400_000 + i, event_id: `e-${month}-${i}`, name: 'pageview', visitor_id: `v${i}`,
        session_id: `s${i}`, path: '/', received_at: day, stream_seq: 1,
      }));
    await f.storage.insert('events', [...rows(0), ...rows(1)]);
    // What a process killed during 0006's backfill leaves: the table, one month's part, no view.
    const site = MIGRATIONS.find((m) => m.id === '0006_site_rollup')!;
    const steps = site.statements(ddlContext());
    await f.storage.command(stepSql(steps[0]!));
    await f.storage.command(`INSERT INTO rollup_site_day (site_id, bucket, is_bot, events, pageviews) VALUES ('${SITE}', '2026-01-10 00:00:00', 0, 3, 3)`);
    expect((await migrate(f.storage)).applied).toContain('0006_site_rollup');
    const [roll] = await f.storage.query<{ events: number; visitors: number }>(
      'SELECT sum(events) AS events, uniqCombinedMerge(12)(visitors_sketch) AS visitors FROM rollup_site_day',
    );
    expect(roll).toEqual({ events: 6, visitors: 3 });
    // Once its view exists, a re-run of the step neither empties nor backfills the rollup.
    await migrate(f.storage, { migrations: [{ id: '0006_again', statements: () => steps }] });
    const [third] = await f.storage.query<{ events: number }>('SELECT sum(events) AS events FROM rollup_site_day');
    expect(third?.events).toBe(6);
  });

  it('0010 fills the site rollup\'s revenue currencies for events stored before it, once, changes no count, and adds no part to an insert', async () => {
    const id = '0010_revenue_currencies';
    await migrate(f.storage, { migrations: MIGRATIONS.filter((m) => m.id < id) });
    const noon = Date.UTC(2026, 0, 10, 12);
    const DAY = 86_400_000;
    let n = 0;
    const row = (extra: Record<string, unknown>) => ({
      site_id: SITE, ts: noon, event_id: `r-${++n}`, name: 'purchase', visitor_id: `v${n % 3}`, session_id: `s${n % 4}`, path: '/', received_at: noon, stream_seq: 1, ...extra,
    });
    /**
     * Parts one insert writes, over every table: each part takes a new block number of its table and
     * a merge takes none, so the growth of each table's highest block number counts them.
     */
    const blocks = async () => {
      const [b] = await f.storage.query<{ n: number }>(
        `SELECT sum(m) AS n FROM (SELECT table, max(max_block_number) AS m FROM system.parts WHERE database = currentDatabase() GROUP BY table)`,
      );
      return b?.n ?? 0;
    };
    const partsOf = async (rows: object[]) => {
      const before = await blocks();
      await f.storage.insert('events', rows);
      return (await blocks()) - before;
    };
    const views = async () => {
      const [v] = await f.storage.query<{ n: number }>(
        "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
      );
      return v?.n ?? 0;
    };
    // A batch with revenue, a pageview and a bot, over two days of one month (each its own hour,
    // path and visitor, so that no rollup's block repeats an earlier one).
    const batch = (k: number) => {
      const at = { ts: noon - k * 3_600_000, path: `/b${k}`, visitor_id: `vb${k}`, session_id: `sb${k}` };
      return [
        row({ ...at, revenue_amount: 1, revenue_currency: 'EUR' }),
        row({ ...at, name: 'pageview' }),
        row({ ...at, revenue_amount: 1, revenue_currency: 'EUR', ts: at.ts + DAY }),
        row({ ...at, revenue_amount: 1, revenue_currency: 'EUR', is_bot: 1 }),
      ];
    };
    const viewsBefore = await views();
    const partsBefore = await partsOf(batch(1));
    expect(partsBefore).toBeGreaterThan(ROLLUPS.length);
    await f.storage.insert('events', [
      row({ revenue_amount: 10, revenue_currency: 'EUR' }),
      row({ revenue_amount: 2.5, revenue_currency: 'EUR', ts: noon + 60_000 }),
      row({ revenue_amount: 7, revenue_currency: 'USD', ts: noon + DAY }),
      row({ name: 'pageview' }),
      row({ revenue_amount: 100, revenue_currency: 'GBP', is_bot: 1 }),
      // Another month, without revenue: its site-day gets no backfill row.
      row({ name: 'pageview', ts: noon + 40 * DAY }),
    ]);
    // Per site-day: the counts and sketches (which the migration must not change), then the currencies.
    const counts = () =>
      f.storage.query<{ day: string; is_bot: number; events: number }>(
        `SELECT toString(toDate(bucket)) AS day, is_bot, sum(events) AS events, sum(pageviews) AS pageviews,
                uniqCombinedMerge(12)(visitors_sketch) AS visitors, uniqCombinedMerge(12)(visits_sketch) AS visits
         FROM rollup_site_day WHERE site_id = {site:String} GROUP BY day, is_bot ORDER BY day, is_bot`,
        { site: SITE },
      );
    const read = async () => {
      const cur = await f.storage.query<{ day: string; is_bot: number; currencies: string[] }>(
        `SELECT toString(toDate(bucket)) AS day, is_bot, arraySort(groupUniqArrayArray(revenue_currencies)) AS currencies
         FROM rollup_site_day WHERE site_id = {site:String} GROUP BY day, is_bot ORDER BY day, is_bot`,
        { site: SITE },
      );
      return { counts: await counts(), currencies: cur.map((r) => [r.day, r.is_bot, r.currencies]) };
    };
    const counted = await counts();
    expect(counted.map((r) => [r.day, r.is_bot, r.events])).toEqual([
      ['2026-01-10', 0, 5],
      ['2026-01-10', 1, 2],
      ['2026-01-11', 0, 2],
      ['2026-02-19', 0, 1],
    ]);
    const backfilled = {
      counts: counted,
      currencies: [
        ['2026-01-10', 0, ['EUR']],
        ['2026-01-10', 1, ['EUR', 'GBP']],
        ['2026-01-11', 0, ['EUR', 'USD']],
        ['2026-02-19', 0, []],
      ],
    };
    // A part written to February's partition of the site rollup takes a new block number; a merge none.
    const february = async () => {
      const [b] = await f.storage.query<{ n: number }>(
        "SELECT max(max_block_number) AS n FROM system.parts WHERE database = currentDatabase() AND table = 'rollup_site_day' AND partition_id = '202602'",
      );
      return b?.n ?? 0;
    };
    const februaryBefore = await february();
    // Up to 0010: later migrations are not this test's.
    const upTo = { migrations: MIGRATIONS.filter((m) => m.id <= id) };
    expect((await migrate(f.storage, upTo)).applied).toEqual([id]);
    expect(await read()).toEqual(backfilled);
    // The backfill wrote rows for site-days with revenue only: none in February.
    expect(await february()).toBe(februaryBefore);
    // Merged, the backfill rows change nothing but the currencies.
    await f.storage.command('OPTIMIZE TABLE rollup_site_day FINAL');
    expect(await read()).toEqual(backfilled);

    // Applied twice: nothing runs; its statements re-run (a step killed after its view's query was
    // switched) change no number.
    expect((await migrate(f.storage, upTo)).applied).toEqual([]);
    expect(await read()).toEqual(backfilled);
    const steps = MIGRATIONS.find((m) => m.id === id)!.statements;
    expect((await migrate(f.storage, { migrations: [{ id: `${id}_again`, statements: steps }] })).applied).toEqual([`${id}_again`]);
    expect(await read()).toEqual(backfilled);

    // No view of its own: an insert with revenue writes as many parts as before the migration.
    expect(await views()).toBe(viewsBefore);
    expect(await views()).toBe(ROLLUPS.length);
    expect(await partsOf(batch(2))).toBe(partsBefore);

    // New inserts reach the column through the site rollup's view.
    await f.storage.insert('events', [
      row({ revenue_amount: 0.5, revenue_currency: 'CHF', ts: noon + 1 }),
      row({ revenue_amount: 3, revenue_currency: 'JPY', ts: noon + 40 * DAY }),
      row({ name: 'pageview', ts: noon + DAY }),
    ]);
    const after = await read();
    expect(after.currencies).toEqual([
      ['2026-01-10', 0, ['CHF', 'EUR']],
      ['2026-01-10', 1, ['EUR', 'GBP']],
      ['2026-01-11', 0, ['EUR', 'USD']],
      ['2026-02-19', 0, ['JPY']],
    ]);
    expect(after.counts.map((r) => r.events)).toEqual([8, 3, 4, 2]);
  });

  it('applies only the new migrations, keeps the data, backfills the rollups once', async () => {
    const first = MIGRATIONS.slice(0, 1);
    expect((await migrate(f.storage, { migrations: first })).applied).toEqual(['0001_events']);
    const now = new Date().toISOString();
    await f.storage.insert('events', [
      { site_id: SITE, ts: now, event_id: 'old-1', name: 'pageview', visitor_id: 'v1', session_id: 's1', path: '/', received_at: now, stream_seq: 1 },
      { site_id: SITE, ts: now, event_id: 'old-2', name: 'click', visitor_id: 'v2', session_id: 's2', path: '/', received_at: now, stream_seq: 1 },
    ]);
    const second = await migrate(f.storage);
    expect(second.applied).toEqual(MIGRATIONS.slice(1).map((m) => m.id));
    expect((await migrate(f.storage)).applied).toEqual([]);
    expect(await count(f.storage)).toBe(2);
    const [cols] = await f.storage.query<{ n: number }>(
      "SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name IN ('source', 'medium')",
    );
    expect(cols?.n).toBe(2);
    const [roll] = await f.storage.query<{ events: number; pageviews: number; visitors: number }>(
      'SELECT sum(events) AS events, sum(pageviews) AS pageviews, uniqMerge(visitors) AS visitors FROM rollup_events_day',
    );
    expect(roll).toEqual({ events: 2, pageviews: 1, visitors: 2 });
    // After 0005 no view computes the unread `uniq` states any more (the costliest part of an insert).
    const [views] = await f.storage.query<{ all: number; uniq: number }>(
      `SELECT count() AS all, countIf(position(as_select, 'uniqState(') > 0) AS uniq
       FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`,
    );
    expect(views).toEqual({ all: ROLLUPS.length, uniq: 0 });
    // The visits table (0008) was backfilled too: one row per visit.
    const visits = await f.storage.query('SELECT session_id, visitor, events, pageviews FROM rollup_visits_day FINAL ORDER BY session_id');
    expect(visits).toEqual([
      { session_id: 's1', visitor: 'v1', events: 1, pageviews: 1 },
      { session_id: 's2', visitor: 'v2', events: 1, pageviews: 0 },
    ]);
  });
});
