import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { chdbDir } from '@pulse/testkit';
import { insertChunkSql, windows, type SiteData } from '../src/query/generate.js';

const dir = chdbDir();
let storage: Storage;
const DAY = 86_400_000;
const site: SiteData = { siteId: 's_AAAAAAAAAAAAAAAA', total: 40_000, fromMs: Date.UTC(2026, 0, 1), days: 40, pages: 1_000, visitors: 5_000 };

beforeAll(async () => {
  storage = createStorage({ path: dir.path });
  await migrate(storage);
  // Two chunks, as the benchmark writes large sites.
  await storage.command(insertChunkSql(site, 0, 25_000));
  await storage.command(insertChunkSql(site, 25_000, 15_000));
});

afterAll(async () => {
  await storage?.close();
  dir.remove();
});

describe('insertChunkSql', () => {
  it('writes every event once, spread over the whole range', async () => {
    const [r] = await storage.query<{ n: number; ids: number; first: string; last: string }>(
      'SELECT count() AS n, uniqExact(event_id) AS ids, min(ts) AS first, max(ts) AS last FROM events WHERE site_id = {s:String}',
      { s: site.siteId },
    );
    expect(r).toMatchObject({ n: 40_000, ids: 40_000 });
    expect(Date.parse(r!.first)).toBe(site.fromMs);
    expect(Date.parse(r!.last)).toBeLessThan(site.fromMs + site.days * DAY);
    expect(Date.parse(r!.last)).toBeGreaterThan(site.fromMs + (site.days - 1) * DAY);
  });

  it('has realistic shares: ~70% pageviews, skewed pages, few bots, returning visitors', async () => {
    const [r] = await storage.query<{ pv: number; bots: number; visitors: number; sessions: number; top: number; pages: number; cc: number; src: number }>(
      `SELECT countIf(name = 'pageview') / count() AS pv, countIf(is_bot = 1) / count() AS bots, uniqExact(visitor_id) AS visitors,
              uniqExact(session_id) AS sessions, countIf(path = '/') / count() AS top, uniqExact(path) AS pages,
              uniqExact(country) AS cc, uniqExact(source) AS src
       FROM events`,
    );
    expect(r!.pv).toBeGreaterThan(0.65);
    expect(r!.pv).toBeLessThan(0.75);
    expect(r!.bots).toBeGreaterThan(0.01);
    expect(r!.bots).toBeLessThan(0.15);
    expect(r!.visitors).toBeGreaterThan(3_000);
    expect(r!.visitors).toBeLessThanOrEqual(5_000);
    expect(r!.sessions).toBeGreaterThan(r!.visitors);
    expect(r!.top).toBeGreaterThan(0.05);
    expect(r!.pages).toBeGreaterThan(100);
    expect(r!.cc).toBeGreaterThan(8);
    expect(r!.src).toBeGreaterThan(5);
  });

  it('makes visits of 1 to 5 events, one visitor each, inside the 30-minute rule, by returning visitors', async () => {
    const [r] = await storage.query<{ visits: number; perVisit: number; single: number; longest: number; visitorsPerVisit: number; visitsPerVisitor: number }>(
      `SELECT count() AS visits, avg(n) AS perVisit, countIf(n = 1) / count() AS single, max(span) AS longest,
              max(vs) AS visitorsPerVisit, count() / uniqExact(visitor) AS visitsPerVisitor
       FROM (SELECT session_id, count() AS n, dateDiff('second', min(ts), max(ts)) AS span, uniqExact(visitor_id) AS vs, any(visitor_id) AS visitor
             FROM events GROUP BY session_id)`,
    );
    expect(r!.perVisit).toBeCloseTo(2.375, 1);
    expect(r!.single).toBeCloseTo(3 / 8, 1);
    expect(r!.visitorsPerVisit).toBe(1);
    // Four gaps of at most one event spacing (86.4 s here): no visit outlasts the 30-minute rule.
    expect(r!.longest).toBeLessThan(30 * 60);
    expect(r!.visitsPerVisitor).toBeGreaterThan(2);
  });

  it('fills the rollups through the materialized views', async () => {
    const [d] = await storage.query<{ e: number; days: number }>('SELECT sum(events) AS e, uniqExact(bucket) AS days FROM rollup_events_day WHERE site_id = {s:String}', { s: site.siteId });
    expect(d).toEqual({ e: 40_000, days: 40 });
    const [p] = await storage.query<{ pv: number }>('SELECT sum(pageviews) AS pv FROM rollup_pages_day WHERE site_id = {s:String}', { s: site.siteId });
    const [raw] = await storage.query<{ pv: number }>("SELECT count() AS pv FROM events WHERE name = 'pageview'");
    expect(p!.pv).toBe(raw!.pv);
  });
});

describe('windows', () => {
  it('lists every whole-day window inside the data, oldest first', () => {
    const w = windows(site, 30);
    expect(w).toHaveLength(11);
    expect(w[0]).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-31T00:00:00.000Z' });
    expect(w.at(-1)).toEqual({ from: '2026-01-11T00:00:00.000Z', to: '2026-02-10T00:00:00.000Z' });
  });
});
