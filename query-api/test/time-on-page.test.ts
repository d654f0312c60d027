import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, eventRow, insertEvents, rawAnswer, startHarness, type Harness, type Tenant } from './harness.js';

/**
 * `time_on_page` on a small data set of its own, every answer worked out by hand. Range under test:
 * 2026-02-02T00:00Z to 2026-02-04T00:00Z (two UTC days); the previous period holds one visit (p1).
 * Gaps are the seconds to the visit's next pageview; "last" pageviews have none and are left out.
 *
 * a1 u1 DE, from Google, 02-02:
 *    10:00:00 pv /         gap 30
 *    10:00:30 pv /pricing  gap 120 (the signup at 10:01 is no pageview: the next one is /docs)
 *    10:01:00 signup on /pricing
 *    10:02:30 pv /docs (prop section=guides)  gap 30
 *    10:03:00 pv /pricing  gap 60
 *    10:04:00 pv /         last
 * b1 u2 US, utm_source newsletter, 02-02, a tie (inserted /blog first):
 *    11:00:00 pv /about    gap 0   (same millisecond as /blog; /about sorts first by path)
 *    11:00:00 pv /blog     gap 20
 *    11:00:20 pv /thanks   last
 * c1 u3 FR, 02-03 09:00 pv / — a one-page visit: last, nothing measured
 * d1 u4 DE, across midnight UTC (two visits):
 *    02-02 23:59:00 pv /docs     gap 40
 *    02-02 23:59:40 pv /pricing  last of the 02-02 visit (not 40 s to the 00:00:20 view)
 *    02-03 00:00:20 pv /         gap 60
 *    02-03 00:01:20 pv /docs     last
 * x1 bot, 02-02 12:00 pv / · 12:10 pv /pricing: gap 600, counted only with include_bots
 * p1 u9, 02-01 08:00 pv / · 08:00:50 pv /pricing: gap 50 (the previous period)
 *
 * Gaps in range: 30, 120, 30, 60, 0, 20, 40, 60 → 360 s over 8 pageviews, 45 s.
 */
const RANGE = { from: '2026-02-02T00:00:00Z', to: '2026-02-04T00:00:00Z' };
const NOW = Date.parse('2026-02-10T12:00:00Z');

let h: Harness;
let t: Tenant;

beforeAll(async () => {
  h = await startHarness({ now: () => NOW, rateLimit: { perSecond: 1000, burst: 1000 } });
  t = await createTenant(h.url);
  const ev = (session: string, visitor: string, ts: string, path: string, extra: Record<string, unknown> = {}) =>
    eventRow({ site_id: t.siteId, session_id: session, visitor_id: visitor, ts, path, ...extra });
  const google = { referrer: 'https://www.google.com/', referrer_host: 'www.google.com', source: 'Google' };
  const us = { country: 'US', device: 'mobile', browser: 'Chrome', os: 'iOS' };
  const fr = { country: 'FR', device: 'tablet' };
  const newsletter = { utm_source: 'newsletter', source: 'newsletter' };
  await insertEvents(h.storage, [
    ev('a1', 'u1', '2026-02-02T10:00:00Z', '/', google),
    ev('a1', 'u1', '2026-02-02T10:00:30Z', '/pricing'),
    ev('a1', 'u1', '2026-02-02T10:01:00Z', '/pricing', { name: 'signup', revenue_amount: 10, revenue_currency: 'EUR' }),
    ev('a1', 'u1', '2026-02-02T10:02:30Z', '/docs', { props: { section: 'guides' } }),
    ev('a1', 'u1', '2026-02-02T10:03:00Z', '/pricing'),
    ev('a1', 'u1', '2026-02-02T10:04:00Z', '/'),
    ev('b1', 'u2', '2026-02-02T11:00:00Z', '/blog', { ...us, ...newsletter }),
    ev('b1', 'u2', '2026-02-02T11:00:00Z', '/about', { ...us, ...newsletter }),
    ev('b1', 'u2', '2026-02-02T11:00:20Z', '/thanks', us),
    ev('c1', 'u3', '2026-02-03T09:00:00Z', '/', fr),
    ev('d1', 'u4', '2026-02-02T23:59:00Z', '/docs'),
    ev('d1', 'u4', '2026-02-02T23:59:40Z', '/pricing'),
    ev('d1', 'u4', '2026-02-03T00:00:20Z', '/'),
    ev('d1', 'u4', '2026-02-03T00:01:20Z', '/docs'),
    ev('x1', 'ub', '2026-02-02T12:00:00Z', '/', { is_bot: 1 }),
    ev('x1', 'ub', '2026-02-02T12:10:00Z', '/pricing', { is_bot: 1 }),
    ev('p1', 'u9', '2026-02-01T08:00:00Z', '/'),
    ev('p1', 'u9', '2026-02-01T08:00:50Z', '/pricing'),
  ]);
});
afterAll(async () => h?.close());

type Answer = {
  results: { dimensions: string[]; metrics: number[]; comparison?: { dimensions: string[]; metrics: number[]; change: (number | null)[] } }[];
  meta: Record<string, any>;
};

async function q(body: Record<string, unknown>): Promise<Answer> {
  const r = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body as Answer;
}

const rows = (r: Answer) => r.results.map((x) => [...x.dimensions, ...x.metrics]);

/** The answer, checked to come from raw events and to equal the raw-events oracle (harness.ts). */
async function exact(body: Record<string, unknown>): Promise<unknown[][]> {
  const r = await q(body);
  expect(r.meta.source_table, JSON.stringify(body)).toBe('events');
  const oracle = await rawAnswer(h.storage, { site_id: t.siteId, date_range: RANGE, ...body }, { now: NOW });
  expect(r.results, JSON.stringify(body)).toEqual(oracle.results);
  return rows(r);
}

describe('time_on_page', () => {
  it('averages the gap to the next pageview of the visit, site-wide, leaving each visit\'s last pageview out', async () => {
    expect(await exact({ metrics: ['time_on_page'] })).toEqual([[45]]);
    // A one-page visit adds nothing; a range with nothing to measure is 0.
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'country', ['FR']]] })).toEqual([[0]]);
    expect(await exact({ metrics: ['time_on_page'], date_range: { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' } })).toEqual([[0]]);
  });

  it('by page: each page\'s own pageviews, ties of one millisecond in order of path', async () => {
    expect(await exact({ metrics: ['time_on_page', 'pageviews'], dimensions: ['page'] })).toEqual([
      ['/pricing', 90, 3],
      ['/', 45, 4],
      ['/docs', 35, 3],
      ['/blog', 20, 1],
      // /about and /blog share a millisecond: /about comes first by path, so it got 0 s.
      ['/about', 0, 1],
      // Only ever a visit's last page.
      ['/thanks', 0, 1],
    ]);
  });

  it('filters choose the pageviews measured, never the next one', async () => {
    // The time on /pricing until whatever came next (120 and 60), not between two views of /pricing (150).
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'page', ['/pricing']]] })).toEqual([[90]]);
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['page'], filters: [['is', 'page', ['/pricing']]] })).toEqual([['/pricing', 90]]);
    // German pageviews: a1's 30, 120, 30, 60 and d1's 40, 60.
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'country', ['DE']]] })).toEqual([[56.67]]);
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'country', ['US']]] })).toEqual([[10]]);
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['device'] })).toEqual([
      ['desktop', 56.67],
      ['mobile', 10],
      ['tablet', 0],
    ]);
    // A pageview's own props.
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['prop:section'] })).toEqual([
      ['', 47.14],
      ['guides', 30],
    ]);
    expect(await exact({ metrics: ['time_on_page'], filters: [['contains', 'page', ['PRIC'], { case_sensitive: false }], ['is_not', 'country', ['US']]] })).toEqual([[90]]);
  });

  it('splits a visit at midnight UTC: the last pageview before it has no next one', async () => {
    // d1's /pricing at 23:59:40 would be 40 s to its 00:00:20 view within one session; it is left out.
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'page', ['/pricing']], ['is', 'country', ['DE']]] })).toEqual([[90]]);
    // d1 alone: /docs 40 s on the 2nd, / 60 s on the 3rd.
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['time:day'], filters: [['is', 'page', ['/docs', '/']], ['is_not', 'source', ['Google']]] })).toEqual([
      ['2026-02-02T00:00:00+00:00', 40],
      ['2026-02-03T00:00:00+00:00', 60],
    ]);
  });

  it('time buckets go by the pageview\'s time, in the query\'s zone; visits stay UTC days', async () => {
    expect(await exact({ metrics: ['time_on_page', 'pageviews'], dimensions: ['time:day'] })).toEqual([
      // a1's four gaps, b1's two and d1's 40 s: 300 s over 7.
      ['2026-02-02T00:00:00+00:00', 42.86, 10],
      ['2026-02-03T00:00:00+00:00', 60, 3],
    ]);
    // Tokyo (UTC+9): d1's 23:59Z views fall on the 3rd there, and 02-04 00:00 local to 09:00 is empty.
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['time:day'], timezone: 'Asia/Tokyo' })).toEqual([
      ['2026-02-02T00:00:00+09:00', 43.33],
      ['2026-02-03T00:00:00+09:00', 50],
      ['2026-02-04T00:00:00+09:00', 0],
    ]);
    const hours = await exact({ metrics: ['time_on_page'], dimensions: ['time:hour'] });
    expect(hours).toHaveLength(48);
    expect(hours.filter((r) => r[1] !== 0)).toEqual([
      ['2026-02-02T10:00:00+00:00', 60],
      ['2026-02-02T11:00:00+00:00', 10],
      ['2026-02-02T23:00:00+00:00', 40],
      ['2026-02-03T00:00:00+00:00', 60],
    ]);
  });

  it('visit attributes choose the pageviews of the visits that have them', async () => {
    expect(await exact({ metrics: ['visits', 'time_on_page'], dimensions: ['source'] })).toEqual([
      ['Direct / None', 3, 50],
      ['Google', 1, 60],
      ['newsletter', 1, 10],
    ]);
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['page'], filters: [['is', 'source', ['Google']]] })).toEqual([
      ['/pricing', 90],
      ['/', 30],
      ['/docs', 30],
    ]);
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'utm_source', ['newsletter']]] })).toEqual([[10]]);
    // Entering on /: a1's four gaps and the one of d1's second visit (c1 entered there too, with none).
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'entry_page', ['/']]] })).toEqual([[60]]);
    expect(await exact({ metrics: ['time_on_page'], filters: [['is', 'entry_page', ['/docs']]] })).toEqual([[40]]);
    // b1 entered on /about (first by path in its first millisecond) and left on /thanks.
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['exit_page'], filters: [['is', 'entry_page', ['/about']]] })).toEqual([['/thanks', 10]]);
  });

  it('goes with every other metric in one query', async () => {
    // 13 pageviews and the signup; five visits (d1 is two); durations 240, 20, 0, 40, 60.
    expect(await exact({ metrics: ['pageviews', 'events', 'visits', 'visitors', 'revenue', 'time_on_page'] })).toEqual([[13, 14, 5, 4, 10, 45]]);
    expect(await exact({ metrics: ['visit_duration', 'bounce_rate', 'time_on_page'] })).toEqual([[72, 20, 45]]);
    expect(await exact({ metrics: ['visits', 'bounce_rate', 'time_on_page'], dimensions: ['page'], filters: [['is', 'page', ['/', '/pricing']]] })).toEqual([
      ['/', 3, 33.33, 45],
      ['/pricing', 2, 0, 90],
    ]);
  });

  it('leaves bots out unless asked', async () => {
    expect(await exact({ metrics: ['time_on_page'], include_bots: true })).toEqual([[106.67]]);
    expect(await exact({ metrics: ['time_on_page'], dimensions: ['page'], filters: [['is', 'page', ['/']]], include_bots: true })).toEqual([['/', 230]]);
  });

  it('compares with the previous period, as a percent change', async () => {
    const total = await q({ metrics: ['time_on_page'], compare: 'previous_period' });
    expect(total.meta.compare_range).toEqual({ from: '2026-01-31T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z' });
    expect(total.results).toEqual([{ dimensions: [], metrics: [45], comparison: { dimensions: [], metrics: [50], change: [-10] } }]);
    const pages = await q({ metrics: ['time_on_page'], dimensions: ['page'], filters: [['is', 'page', ['/', '/pricing']]], compare: 'previous_period' });
    expect(pages.results.map((x) => [x.dimensions[0], x.metrics[0], x.comparison?.metrics[0], x.comparison?.change[0]])).toEqual([
      ['/pricing', 90, 0, null],
      ['/', 45, 50, -10],
    ]);
    const days = await q({ metrics: ['time_on_page'], dimensions: ['time:day'], compare: 'previous_period' });
    expect(days.results.map((x) => [x.dimensions[0], x.metrics[0], x.comparison?.dimensions[0], x.comparison?.metrics[0], x.comparison?.change[0]])).toEqual([
      ['2026-02-02T00:00:00+00:00', 42.86, '2026-01-31T00:00:00+00:00', 0, null],
      ['2026-02-03T00:00:00+00:00', 60, '2026-02-01T00:00:00+00:00', 50, 20],
    ]);
  });

  it('orders and pages by it', async () => {
    const first = await q({ metrics: ['time_on_page'], dimensions: ['page'], order_by: [['time_on_page', 'asc']], limit: 2 });
    expect([rows(first), first.meta.has_more]).toEqual([
      [
        ['/about', 0],
        ['/thanks', 0],
      ],
      true,
    ]);
    const second = await q({ metrics: ['time_on_page'], dimensions: ['page'], order_by: [['time_on_page', 'asc']], limit: 2, offset: 2 });
    expect([rows(second), second.meta.has_more]).toEqual([
      [
        ['/blog', 20],
        ['/docs', 35],
      ],
      true,
    ]);
    const series = await q({ metrics: ['time_on_page'], dimensions: ['time:day'], order_by: [['time_on_page', 'desc']], limit: 1 });
    expect([rows(series), series.meta.has_more]).toEqual([[['2026-02-03T00:00:00+00:00', 60]], true]);
  });

  it('never reads a rollup or the table of visits, even where they would answer the other metrics', async () => {
    for (const body of [
      { metrics: ['time_on_page'] },
      { metrics: ['pageviews', 'visitors', 'time_on_page'], dimensions: ['time:day'] },
      { metrics: ['visitors', 'time_on_page'], dimensions: ['page'], order_by: [['visitors', 'desc']] },
      { metrics: ['visits', 'time_on_page'], dimensions: ['entry_page'] },
      { metrics: ['visits', 'bounce_rate', 'time_on_page'], filters: [['is', 'source', ['Google']]] },
    ]) {
      expect((await q(body)).meta.source_table, JSON.stringify(body)).toBe('events');
    }
    // Without it, the same shapes still take their faster tables.
    expect((await q({ metrics: ['pageviews', 'visitors'], dimensions: ['time:day'] })).meta.source_table).toBe('rollup_site_day');
    expect((await q({ metrics: ['visits'], dimensions: ['entry_page'] })).meta.source_table).toBe('rollup_visits_day');
  });

  it('exports the column as CSV, with its compared value and change', async () => {
    const body = { site_id: t.siteId, date_range: RANGE, metrics: ['pageviews', 'time_on_page'], dimensions: ['page'], filters: [['is', 'page', ['/', '/pricing']]], compare: 'previous_period' };
    const r = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body, headers: { accept: 'text/csv' } });
    expect(r.status).toBe(200);
    expect(r.body).toBe(
      'page,pageviews,time_on_page,pageviews_previous,time_on_page_previous,pageviews_change,time_on_page_change\r\n' +
        '/,4,45,1,50,300,-10\r\n' +
        '/pricing,3,90,1,0,200,\r\n',
    );
  });

  it('is described in /openapi.json: its definition, what it is not, and that it is exact', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    expect(doc.components.schemas.QueryRequest.properties.metrics.items.enum).toContain('time_on_page');
    const text = doc.paths['/v1/query'].post.description as string;
    const line = text.split('\n').find((l) => l.startsWith('- `time_on_page` (exact): '));
    expect(line).toBeDefined();
    for (const phrase of [
      'the time until the next pageview of the same visit',
      "a visit's last pageview has no next one and is left out, as Plausible's classic metric and Universal Analytics left it out",
      'rounded to 2 decimals as `visit_duration` is',
      'before any filter applies',
      'no engagement pings',
      'always answered from raw events',
    ]) {
      expect(line).toContain(phrase);
    }
  });

  it('refuses what says nothing about a pageview with a 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const r = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, metrics: ['time_on_page'], ...body } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      return r.body.error.message as string;
    };
    expect(await bad({ dimensions: ['page', 'event_name'] })).toMatch(/^dimensions\[1\]: time_on_page measures pageviews, so it cannot be broken down or filtered by event_name/);
    expect(await bad({ filters: [['is', 'page', ['/']], ['is', 'event_name', ['signup']]] })).toMatch(/^filters\[1\]\[1\]: .*event_name/);
    expect(await bad({ metrics: ['conversion_rate', 'time_on_page'], filters: [['is', 'event_name', ['signup']]] })).toMatch(/^filters\[0\]\[1\]: .*event_name/);
    expect(await bad({ filters: [['is_not', 'revenue_currency', ['']]] })).toMatch(/^filters\[0\]\[1\]: .*revenue_currency/);
    expect(await bad({ dimensions: ['revenue_currency'] })).toMatch(/^dimensions\[0\]: .*revenue_currency/);
  });
});
