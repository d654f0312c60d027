import { UTC_SITE } from '../src/query/test-fixtures.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrate, type Storage } from '@pulse/aggregator/storage';
import { chdbDir, type TempDir } from '@pulse/testkit';
import { planQuery } from '../src/query/plan.js';
import { runQuery, type RunOptions } from '../src/query/run.js';
import { SchemaProbe, type SchemaInfo } from '../src/schema-probe.js';
import type { QueryStorage } from '../src/storage.js';
import { eventRow, insertEvents } from './harness.js';

/**
 * Top lists by visitors answered from candidates (the groups with the most events) must be the
 * full query's answer, row for row, whether the candidates settle it or the full query runs after.
 */
const DAY = 86_400_000;
const FROM = Date.parse('2026-03-02T00:00:00Z');
const RANGE = { from: '2026-03-02T00:00:00Z', to: '2026-03-05T00:00:00Z' };
const PATHS = 300;
const SKEWED = 'site_skewed';
const FLAT = 'site_flat';

let dir: TempDir;
let storage: Storage;
let schema: SchemaInfo;

/** Every statement the run sent, in order. */
function recording(inner: Storage): { storage: QueryStorage; sent: { sql: string; params: Record<string, unknown> }[] } {
  const sent: { sql: string; params: Record<string, unknown> }[] = [];
  return {
    sent,
    storage: {
      query: (sql, params, settings) => {
        sent.push({ sql, params: params ?? {} });
        return inner.query(sql, params, settings);
      },
      ping: () => inner.ping(),
    },
  };
}

/** Path i gets `events(i)` events over three days, two per visitor and session. */
function siteRows(site: string, events: (i: number) => number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < PATHS; i++) {
    for (let n = 0; n < events(i); n++) {
      const visitor = `${site}-p${i}-v${Math.floor(n / 2)}`;
      rows.push(eventRow({ site_id: site, ts: FROM + (n % 3) * DAY + 3_600_000 + n * 1000, path: `/p${i}`, visitor_id: visitor, session_id: `s-${visitor}` }));
    }
  }
  return rows;
}

beforeAll(async () => {
  dir = chdbDir();
  storage = createStorage({ path: dir.path });
  await migrate(storage);
  await insertEvents(storage, siteRows(SKEWED, (i) => Math.floor(3000 / (i + 1)) + 1));
  await insertEvents(storage, siteRows(FLAT, () => 4));
  schema = await new SchemaProbe(storage, 60_000, Date.now).get();
});

afterAll(async () => {
  await storage?.close();
  dir?.remove();
});

async function both(site: string, body: Record<string, unknown>) {
  const plan = planQuery({ site_id: site, date_range: RANGE, dimensions: ['page'], ...body } as never, UTC_SITE, FROM + 10 * DAY);
  const opts: RunOptions = { settings: {}, schema, minCandidates: 20 };
  const pruned = recording(storage);
  const got = await runQuery(pruned.storage, plan, opts);
  const full = recording(storage);
  const want = await runQuery(full.storage, plan, { ...opts, minCandidates: false });
  expect(got.table).toBe('rollup_paths_day');
  expect(full.sent).toHaveLength(1);
  return { got, want, sent: pruned.sent };
}

const candidateLists = (sent: { params: Record<string, unknown> }[]) =>
  sent.flatMap((s) => Object.values(s.params).filter((v): v is string[] => Array.isArray(v) && v.length > 10));

describe('top lists by visitors from candidates', () => {
  it('answers a skewed site from its candidates with the full query’s rows', async () => {
    const { got, want, sent } = await both(SKEWED, { metrics: ['visitors', 'pageviews', 'visits', 'events'], order_by: [['visitors', 'desc']], limit: 10 });
    expect(got.results).toEqual(want.results);
    expect(got.hasMore).toBe(true);
    expect(got.results[0]?.dimensions).toEqual(['/p0']);
    // 1,501 visitors and visits: sketch estimates, within their error; the events are exact.
    const [visitors, pageviews, visits, events] = got.results[0]?.metrics ?? [];
    expect(Math.abs((visitors ?? 0) / 1501 - 1)).toBeLessThan(0.03);
    expect(Math.abs((visits ?? 0) / 1501 - 1)).toBeLessThan(0.03);
    expect([pageviews, events]).toEqual([3001, 3001]);
    // The ranking, then the sketches of 44 candidates (4 per needed row) from the copy sorted by path.
    expect(sent).toHaveLength(2);
    expect(candidateLists(sent).map((c) => c.length)).toEqual([44]);
    expect(sent[0]?.sql).toContain('FROM rollup_paths_day');
    expect(sent[1]?.sql).toContain('FROM rollup_paths_by_path_day');
  });

  it('pages and orders by visits the same way', async () => {
    const { got, want, sent } = await both(SKEWED, { metrics: ['visits', 'visitors'], order_by: [['visits', 'desc']], limit: 5, offset: 5 });
    expect(got.results).toEqual(want.results);
    expect(got.results.map((r) => r.dimensions[0])).toEqual(['/p5', '/p6', '/p7', '/p8', '/p9']);
    expect(sent).toHaveLength(2);
  });

  it('applies filters to the ranking too', async () => {
    const filters = [['contains', 'page', ['/p1']]];
    const { got, want, sent } = await both(SKEWED, { metrics: ['visitors'], order_by: [['visitors', 'desc']], limit: 3, filters });
    expect(got.results).toEqual(want.results);
    expect(got.results.map((r) => r.dimensions[0])).toEqual(['/p1', '/p10', '/p11']);
    expect(sent).toHaveLength(2);
    // Ignoring case ({"case_sensitive": false}): the same rows, from the same two statements.
    const insensitive = await both(SKEWED, { metrics: ['visitors'], order_by: [['visitors', 'desc']], limit: 3, filters: [['contains', 'page', ['/P1'], { case_sensitive: false }]] });
    expect(insensitive.got.results).toEqual(insensitive.want.results);
    expect(insensitive.got.results).toEqual(got.results);
    expect(insensitive.sent).toHaveLength(2);
    expect(insensitive.sent.every((s) => s.sql.includes('multiSearchAny(lowerUTF8(path), arrayMap(fv -> lowerUTF8(fv), '))).toBe(true);
    expect(insensitive.sent[1]?.sql).toContain('FROM rollup_paths_by_path_day');
    // Case-sensitive, "/P1" is no path.
    const sensitive = await both(SKEWED, { metrics: ['visitors'], order_by: [['visitors', 'desc']], limit: 3, filters: [['contains', 'page', ['/P1']]] });
    expect(sensitive.got.results).toEqual([]);
  });

  it('falls back to the full query when the candidates do not settle the page', async () => {
    // Every path has 4 events and 2 visitors: no row beats the excluded groups' events.
    const { got, want, sent } = await both(FLAT, { metrics: ['visitors', 'pageviews'], order_by: [['visitors', 'desc']], limit: 10 });
    expect(got.results).toEqual(want.results);
    expect(got.results.map((r) => r.metrics)).toEqual(Array.from({ length: 10 }, () => [2, 4]));
    expect(sent).toHaveLength(3);
  });

  it('does not rank when every group would be a candidate, or the order is not by visitors', async () => {
    const deep = await both(SKEWED, { metrics: ['visitors'], order_by: [['visitors', 'desc']], limit: 10, offset: 70 });
    expect(deep.got.results).toEqual(deep.want.results);
    // 4 × 81 needed rows > 300 paths: the ranking finds no excluded group.
    expect(deep.sent).toHaveLength(2);
    expect(candidateLists(deep.sent)).toEqual([]);
    const byPageviews = await both(SKEWED, { metrics: ['visitors', 'pageviews'], order_by: [['pageviews', 'desc']], limit: 10 });
    expect(byPageviews.got.results).toEqual(byPageviews.want.results);
    expect(byPageviews.sent).toHaveLength(1);
  });
});
