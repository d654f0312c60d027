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

  it('0010 fills the revenue currencies table for events stored before it, once, and its view keeps it current', async () => {
    const id = '0010_revenue_currencies';
    await migrate(f.storage, { migrations: MIGRATIONS.filter((m) => m.id < id) });
    const noon = Date.UTC(2026, 0, 10, 12);
    const DAY = 86_400_000;
    let n = 0;
    const row = (extra: Record<string, unknown>) => ({
      site_id: SITE, ts: noon, event_id: `r-${++n}`, name: 'purchase', visitor_id: 'v1', session_id: 's1', path: '/', received_at: noon, stream_seq: 1, ...extra,
    });
    await f.storage.insert('events', [
      row({ revenue_amount: 10, revenue_currency: 'EUR' }),
      row({ revenue_amount: 2.5, revenue_currency: 'EUR', ts: noon + 60_000 }),
      row({ revenue_amount: 7, revenue_currency: 'USD', ts: noon + DAY }),
      row({ name: 'pageview' }),
      row({ revenue_amount: 100, revenue_currency: 'GBP', is_bot: 1 }),
    ]);
    const read = () =>
      f.storage.query(
        `SELECT toString(toDate(bucket)) AS day, is_bot, revenue_currency AS currency, sum(events) AS events, sum(revenue) AS revenue
         FROM rollup_revenue_currencies_day WHERE site_id = {site:String}
         GROUP BY day, is_bot, currency ORDER BY day, is_bot, currency`,
        { site: SITE },
      );
    const backfilled = [
      { day: '2026-01-10', is_bot: 0, currency: 'EUR', events: 2, revenue: 12.5 },
      { day: '2026-01-10', is_bot: 1, currency: 'GBP', events: 1, revenue: 100 },
      { day: '2026-01-11', is_bot: 0, currency: 'USD', events: 1, revenue: 7 },
    ];
    expect((await migrate(f.storage)).applied).toEqual([id]);
    expect(await read()).toEqual(backfilled);

    // Applied twice: nothing runs, nothing is counted again; the same statements re-run (a step
    // killed after its view was made) neither empty nor backfill the table again.
    expect((await migrate(f.storage)).applied).toEqual([]);
    expect(await read()).toEqual(backfilled);
    const steps = MIGRATIONS.find((m) => m.id === id)!.statements;
    expect((await migrate(f.storage, { migrations: [{ id: `${id}_again`, statements: steps }] })).applied).toEqual([`${id}_again`]);
    expect(await read()).toEqual(backfilled);

    // New inserts reach it through the view; a batch without revenue adds no part.
    const parts = async () => {
      const [p] = await f.storage.query<{ n: number }>(
        "SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND table = 'rollup_revenue_currencies_day' AND active",
      );
      return p?.n ?? 0;
    };
    const partsBefore = await parts();
    await f.storage.insert('events', [row({ name: 'pageview' }), row({ name: 'pageview', ts: noon + DAY })]);
    expect(await parts()).toBe(partsBefore);
    await f.storage.insert('events', [
      row({ revenue_amount: 0.5, revenue_currency: 'EUR', ts: noon + 1 }),
      row({ revenue_amount: 3, revenue_currency: 'CHF', ts: noon + DAY }),
      row({ name: 'pageview' }),
    ]);
    expect(await read()).toEqual([
      { day: '2026-01-10', is_bot: 0, currency: 'EUR', events: 3, revenue: 13 },
      { day: '2026-01-10', is_bot: 1, currency: 'GBP', events: 1, revenue: 100 },
      { day: '2026-01-11', is_bot: 0, currency: 'CHF', events: 1, revenue: 3 },
      { day: '2026-01-11', is_bot: 0, currency: 'USD', events: 1, revenue: 7 },
    ]);
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
