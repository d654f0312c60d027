import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, type Storage } from '@pulse/aggregator/storage';
import { PATHS_BY_PATH_MIGRATION, SITE_MIGRATION, SKETCH_MIGRATION } from '../src/query/rollups.js';
import { VISIT_ATTRIBUTES_MIGRATION, VISITS_MIGRATION } from '../src/query/visits.js';
import { REVENUE_CURRENCIES_MIGRATION } from '../src/query/currencies.js';
import { call, createTenant, startHarness, type Harness, eventRow, insertEvents, rawAnswer, type Tenant } from './harness.js';
import { RANGE, insertDataset } from './dataset.js';

/**
 * A data directory made by an aggregator before the sketch migration, upgraded while the API runs:
 * the API keeps answering from the first rollups, then reads the sketches and the per-path rollup
 * once the migration is recorded, with the same numbers as raw events, before and after new inserts.
 */
const NOW = Date.parse('2026-01-06T12:00:00Z');
const SCHEMA_REFRESH_MS = 50;

let h: Harness;
let storage: Storage;
let url: string;
let t: Tenant;

beforeAll(async () => {
  expect(MIGRATIONS.filter((m) => m.id < SKETCH_MIGRATION).length).toBeLessThan(MIGRATIONS.length);
  h = await startHarness({ now: () => NOW, schemaRefreshMs: SCHEMA_REFRESH_MS }, { migratedBefore: SKETCH_MIGRATION });
  ({ storage, url } = h);
  t = await createTenant(url);
  await insertDataset(storage, t.siteId);
});

afterAll(async () => {
  await h?.close();
});

async function q(body: Record<string, unknown>) {
  const r = await call(url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { results: { dimensions: string[]; metrics: number[] }[]; meta: { source_table: string; sketches: string[] } };
}

/** Raw events' answer (harness.ts rawAnswer). */
async function raw(body: Record<string, unknown>) {
  const answer = await rawAnswer(storage, { site_id: t.siteId, date_range: RANGE, ...body }, { now: NOW });
  expect(answer.table).toBe('events');
  return answer;
}

/** Fresh answers: the schema is re-read after its refresh interval, and the answer cache is emptied. */
async function fresh(body: Record<string, unknown>, table: string) {
  for (let i = 0; i < 100; i++) {
    h.api.invalidateCache();
    const r = await q(body);
    if (r.meta.source_table === table) return r;
    await new Promise((ok) => setTimeout(ok, SCHEMA_REFRESH_MS));
  }
  throw new Error(`never answered from ${table}`);
}

const SERIES = { metrics: ['visitors', 'visits', 'pageviews', 'events'], dimensions: ['time:day'] };
const PAGES = { metrics: ['visitors', 'visits', 'pageviews', 'events'], dimensions: ['page'], order_by: [['visitors', 'desc']] };
const VISITS = { metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['entry_page'], compare: 'previous_period' };
const ACQUISITION = { metrics: ['visitors', 'visits', 'bounce_rate', 'pageviews'], dimensions: ['referrer', 'utm_source', 'utm_medium', 'utm_campaign'] };

describe('rollup sketches, before and after the migration that adds them', () => {
  it('answers the same numbers as raw events from the first rollups, then from the sketches', async () => {
    const rawSeries = await raw(SERIES);
    expect(rawSeries.results.map((r) => r.metrics)).toEqual([
      [2, 2, 3, 4],
      [2, 2, 3, 3],
    ]);
    const old = await fresh(SERIES, 'rollup_events_day');
    expect(old.results).toEqual(rawSeries.results);
    // No per-path rollup yet: raw events answer the page breakdown with visitors.
    const oldPages = await fresh(PAGES, 'events');
    const oldVisits = await fresh(VISITS, 'events');
    const oldAcquisition = await fresh(ACQUISITION, 'events');
    expect(oldAcquisition.results.length).toBeGreaterThan(1);

    const { applied } = await migrate(storage);
    // Later migrations (not about reports) may follow.
    expect(applied.filter((id) => id <= REVENUE_CURRENCIES_MIGRATION)).toEqual([SKETCH_MIGRATION, SITE_MIGRATION, PATHS_BY_PATH_MIGRATION, VISITS_MIGRATION, VISIT_ATTRIBUTES_MIGRATION, REVENUE_CURRENCIES_MIGRATION]);
    // The visits table is backfilled from the events already stored, its acquisition columns too,
    // and their backfill leaves the counts alone.
    expect((await fresh(VISITS, 'rollup_visits_day')).results).toEqual(oldVisits.results);
    expect((await fresh(ACQUISITION, 'rollup_visits_day')).results).toEqual(oldAcquisition.results);
    // The copy sorted by path starts as a copy of rollup_paths_day.
    const byPath = (table: string) =>
      storage.query(`SELECT path, sum(events) AS e, sum(pageviews) AS p, uniqCombinedMerge(12)(visitors_sketch) AS v, uniqCombinedMerge(12)(visits_sketch) AS s FROM ${table} GROUP BY path ORDER BY path`);
    const copied = await byPath('rollup_paths_by_path_day');
    expect(copied.length).toBeGreaterThan(0);
    expect(copied).toEqual(await byPath('rollup_paths_day'));
    const upgraded = await fresh(PAGES, 'rollup_paths_day');
    expect(upgraded.results).toEqual(oldPages.results);
    expect(upgraded.meta.sketches).toEqual(['visitors', 'visits']);
    const series = await fresh(SERIES, 'rollup_site_day');
    expect(series.results).toEqual(rawSeries.results);
    const byName = await fresh({ ...SERIES, dimensions: ['time:day', 'event_name'] }, 'rollup_events_day');
    expect(byName.results).toEqual((await raw({ ...SERIES, dimensions: ['time:day', 'event_name'] })).results);

    const [cols] = await storage.query<{ n: number }>(
      "SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table = 'rollup_events_day' AND name IN ('visitors_sketch', 'visits_sketch')",
    );
    expect(Number(cols?.n)).toBe(2);
  });

  it('keeps the sketches and the per-path rollup filled by later inserts', async () => {
    await insertEvents(storage, [
      eventRow({ site_id: t.siteId, ts: '2026-01-05T15:00:00Z', path: '/pricing', visitor_id: 'v7', session_id: 's7' }),
      eventRow({ site_id: t.siteId, ts: '2026-01-06T15:00:00Z', path: '/new', name: 'click', visitor_id: 'v1', session_id: 's8' }),
    ]);
    const rolled = await fresh(PAGES, 'rollup_paths_day');
    expect(rolled.results).toEqual((await raw(PAGES)).results);
    expect(rolled.results.find((r) => r.dimensions[0] === '/pricing')?.metrics).toEqual([3, 3, 3, 4]);
    expect(rolled.results.find((r) => r.dimensions[0] === '/new')?.metrics).toEqual([1, 1, 0, 1]);
    expect((await fresh(SERIES, 'rollup_site_day')).results).toEqual((await raw(SERIES)).results);
    const byPath = (table: string) =>
      storage.query(`SELECT path, sum(events) AS e, uniqCombinedMerge(12)(visitors_sketch) AS v, uniqCombinedMerge(12)(visits_sketch) AS s FROM ${table} GROUP BY path ORDER BY path`);
    expect(await byPath('rollup_paths_by_path_day')).toEqual(await byPath('rollup_paths_day'));
    const visits = await fresh(VISITS, 'rollup_visits_day');
    expect(visits.results).toEqual((await raw(VISITS)).results);
    // A visit of one click: no pageview, so not a bounce.
    expect(visits.results.find((r) => r.dimensions[0] === '/new')?.metrics).toEqual([1, 1, 0, 0, 0]);
    expect((await fresh(ACQUISITION, 'rollup_visits_day')).results).toEqual((await raw(ACQUISITION)).results);
  });
});
