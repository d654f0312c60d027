import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, eventRow, insertEvents, rawAnswer, startHarness, type Harness, type Tenant } from './harness.js';
import { RANGE, insertDataset } from './dataset.js';

/** The clock of the API under test: 2026-01-06 12:00 UTC (relative ranges resolve against it). */
const NOW = Date.parse('2026-01-06T12:00:00Z');

let h: Harness;
let t: Tenant;
let berlin: Tenant;
const berlinTenant = () => berlin;

beforeAll(async () => {
  h = await startHarness({ now: () => NOW, rateLimit: { perSecond: 1000, burst: 1000 } });
  t = await createTenant(h.url);
  await insertDataset(h.storage, t.siteId);
  berlin = await createTenant(h.url, { timezone: 'Europe/Berlin', domain: 'de.example' });
  await insertEvents(h.storage, [
    // 2026-03-29: clocks jump 02:00 CET -> 03:00 CEST (a 23-hour day).
    eventRow({ site_id: berlin.siteId, ts: '2026-03-28T23:30:00Z', visitor_id: 'b1', session_id: 'b1' }), // 00:30 CET on the 29th
    eventRow({ site_id: berlin.siteId, ts: '2026-03-29T00:30:00Z', visitor_id: 'b2', session_id: 'b2' }), // 01:30 CET
    eventRow({ site_id: berlin.siteId, ts: '2026-03-29T01:30:00Z', visitor_id: 'b3', session_id: 'b3' }), // 03:30 CEST
    eventRow({ site_id: berlin.siteId, ts: '2026-03-29T22:30:00Z', visitor_id: 'b4', session_id: 'b4' }), // 00:30 CEST on the 30th
    // 2026-10-25: clocks fall back 03:00 CEST -> 02:00 CET (a 25-hour day, 02:xx happens twice).
    eventRow({ site_id: berlin.siteId, ts: '2026-10-25T00:30:00Z', visitor_id: 'b5', session_id: 'b5' }), // 02:30 CEST
    eventRow({ site_id: berlin.siteId, ts: '2026-10-25T01:30:00Z', visitor_id: 'b6', session_id: 'b6' }), // 02:30 CET
  ]);
});
afterAll(async () => h?.close());

async function q(body: Record<string, unknown>, tenant: Tenant = t) {
  const r = await call(h.url, 'POST', '/v1/query', { token: tenant.readKey, body: { site_id: tenant.siteId, date_range: RANGE, ...body } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { results: { dimensions: string[]; metrics: number[]; comparison?: { dimensions: string[]; metrics: number[]; change: (number | null)[] } }[]; meta: Record<string, any> };
}

/** The raw events' answer to `body` (harness.ts rawAnswer). */
const raw = (body: Record<string, unknown>, tenant: Tenant = t) => rawAnswer(h.storage, { site_id: tenant.siteId, date_range: RANGE, ...body }, { now: NOW });

const rows = (r: { results: { dimensions: string[]; metrics: number[] }[] }) => r.results.map((x) => [...x.dimensions, ...x.metrics]);

describe('totals', () => {
  it('computes every metric exactly on the fixed data set', async () => {
    const r = await q({ metrics: ['pageviews', 'events', 'visitors', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit', 'revenue'] });
    expect(rows(r)).toEqual([[6, 7, 3, 4, 50, 47.5, 1.5, 49.5]]);
    expect(r.meta.date_range).toEqual({ from: '2026-01-05T00:00:00.000Z', to: '2026-01-07T00:00:00.000Z' });
    expect(r.meta.sketches).toEqual(['visitors']);
    // Fallback freshness: the newest received_at in storage (the Berlin site's last event).
    expect(r.meta.complete_through).toBe('2026-10-25T01:30:00.100Z');
  });

  it('excludes bots unless asked', async () => {
    expect(rows(await q({ metrics: ['pageviews', 'visitors'], include_bots: true }))).toEqual([[7, 4]]);
  });

  it('answers zeros for an empty range', async () => {
    const r = await q({ metrics: ['pageviews', 'visitors', 'bounce_rate', 'visit_duration'], date_range: { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' } });
    expect(rows(r)).toEqual([[0, 0, 0, 0]]);
  });

  it('computes conversion_rate from the goal filter', async () => {
    const r = await q({ metrics: ['visitors', 'conversion_rate', 'events'], filters: [['is', 'event_name', ['signup']]] });
    expect(rows(r)).toEqual([[1, 33.33, 1]]);
    const byDay = await q({ metrics: ['conversion_rate'], dimensions: ['time:day'], filters: [['is', 'event_name', ['signup']]] });
    expect(rows(byDay)).toEqual([
      ['2026-01-05T00:00:00+00:00', 50],
      ['2026-01-06T00:00:00+00:00', 0],
    ]);
  });
});

describe('conversion by event name', () => {
  it('treats every event name as a goal over all visitors of the period', async () => {
    expect(rows(await q({ metrics: ['visitors', 'conversion_rate'], dimensions: ['event_name'] }))).toEqual([
      ['pageview', 3, 100],
      ['signup', 1, 33.33],
    ]);
    expect(rows(await q({ metrics: ['visitors', 'conversion_rate'], dimensions: ['event_name'], filters: [['is_not', 'event_name', ['pageview']]] }))).toEqual([
      ['signup', 1, 33.33],
    ]);
    expect(rows(await q({ metrics: ['conversion_rate'], dimensions: ['event_name'], filters: [['is', 'country', ['US']]] }))).toEqual([['pageview', 100]]);
  });

  it('compares against the other period with its own denominator', async () => {
    const r = await q({ metrics: ['visitors', 'conversion_rate'], dimensions: ['event_name'], compare: 'previous_period' });
    expect(r.results.map((x) => [x.dimensions[0], x.comparison?.metrics, x.comparison?.change])).toEqual([
      ['pageview', [1, 100], [200, 0]],
      ['signup', [0, 0], [null, 33.33]],
    ]);
  });
});

describe('dimensions', () => {
  it('time:day, time:week, time:month', async () => {
    expect(rows(await q({ metrics: ['pageviews', 'visitors', 'visits', 'events'], dimensions: ['time:day'] }))).toEqual([
      ['2026-01-05T00:00:00+00:00', 3, 2, 2, 4],
      ['2026-01-06T00:00:00+00:00', 3, 2, 2, 3],
    ]);
    expect(rows(await q({ metrics: ['pageviews'], dimensions: ['time:week'] }))).toEqual([['2026-01-05T00:00:00+00:00', 6]]);
    expect(rows(await q({ metrics: ['pageviews'], dimensions: ['time:month'] }))).toEqual([['2026-01-01T00:00:00+00:00', 6]]);
  });

  it('time:hour fills every bucket; time:minute too', async () => {
    const r = await q({ metrics: ['pageviews'], dimensions: ['time:hour'] });
    expect(r.results).toHaveLength(48);
    const long = await q({ metrics: ['pageviews'], dimensions: ['time:hour'], date_range: { from: '2025-11-01T00:00:00Z', to: '2026-01-07T00:00:00Z' } });
    expect(long.results).toHaveLength(67 * 24);
    expect(long.meta.has_more).toBe(false);
    const nonZero = r.results.filter((x) => x.metrics[0] !== 0).map((x) => [x.dimensions[0], x.metrics[0]]);
    expect(nonZero).toEqual([
      ['2026-01-05T10:00:00+00:00', 2],
      ['2026-01-05T11:00:00+00:00', 1],
      ['2026-01-06T09:00:00+00:00', 2],
      ['2026-01-06T23:00:00+00:00', 1],
    ]);
    const m = await q({ metrics: ['events'], dimensions: ['time:minute'], date_range: { from: '2026-01-05T10:00:00Z', to: '2026-01-05T11:00:00Z' } });
    expect(m.results).toHaveLength(60);
    expect(m.results.filter((x) => x.metrics[0] !== 0).map((x) => [x.dimensions[0], x.metrics[0]])).toEqual([
      ['2026-01-05T10:00:00+00:00', 1],
      ['2026-01-05T10:01:00+00:00', 1],
      ['2026-01-05T10:02:00+00:00', 1],
    ]);
  });

  it('page, ordered by pageviews then by page', async () => {
    expect(rows(await q({ metrics: ['pageviews', 'visitors', 'events'], dimensions: ['page'] }))).toEqual([
      ['/', 2, 2, 2],
      ['/pricing', 2, 2, 3],
      ['/blog/post-1', 1, 1, 1],
      ['/blog/post-2', 1, 1, 1],
    ]);
  });

  it('entry_page and exit_page with session metrics', async () => {
    expect(rows(await q({ metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['entry_page'] }))).toEqual([
      ['/', 2, 50, 75, 1.5],
      ['/blog/post-1', 1, 0, 40, 2],
      ['/pricing', 1, 100, 0, 1],
    ]);
    expect(rows(await q({ metrics: ['visits'], dimensions: ['exit_page'] }))).toEqual([
      ['/pricing', 2],
      ['/', 1],
      ['/blog/post-2', 1],
    ]);
  });

  it('session metrics over event dimensions and filters', async () => {
    expect(rows(await q({ metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['time:day'] }))).toEqual([
      ['2026-01-05T00:00:00+00:00', 2, 50, 75, 1.5],
      ['2026-01-06T00:00:00+00:00', 2, 50, 20, 1.5],
    ]);
    expect(rows(await q({ metrics: ['visits', 'pageviews', 'events'], dimensions: ['page'], filters: [['is', 'source', ['Google']]] }))).toEqual([
      ['/', 1, 1, 1],
      ['/pricing', 1, 1, 2],
    ]);
    expect(rows(await q({ metrics: ['visits', 'bounce_rate'], dimensions: ['entry_page'], filters: [['is', 'country', ['US', 'FR']]] }))).toEqual([
      ['/', 1, 100],
      ['/pricing', 1, 100],
    ]);
  });

  it('goals combine with session metrics', async () => {
    const goal = [['is', 'event_name', ['signup']]];
    expect(rows(await q({ metrics: ['conversion_rate', 'bounce_rate', 'visits'], filters: goal }))).toEqual([[33.33, 0, 1]]);
    expect(rows(await q({ metrics: ['conversion_rate', 'bounce_rate'], dimensions: ['page'], filters: goal }))).toEqual([['/pricing', 50, 0]]);
    expect(rows(await q({ metrics: ['conversion_rate', 'visitors'], dimensions: ['source'], filters: goal }))).toEqual([['Google', 100, 1]]);
  });

  it('source, referrer and utm_*', async () => {
    expect(rows(await q({ metrics: ['visits', 'pageviews'], dimensions: ['source'] }))).toEqual([
      ['Direct / None', 2, 3],
      ['Google', 1, 2],
      ['newsletter', 1, 1],
    ]);
    expect(rows(await q({ metrics: ['visits'], dimensions: ['referrer'] }))).toEqual([
      ['', 2],
      ['https://google.com/search?q=shop', 1],
      ['https://shop.example/', 1],
    ]);
    expect(rows(await q({ metrics: ['visitors'], dimensions: ['utm_source', 'utm_medium', 'utm_campaign'], filters: [['is_not', 'utm_source', ['']]] }))).toEqual([
      ['newsletter', 'email', 'jan', 1],
    ]);
  });

  it('country, device, browser, os', async () => {
    expect(rows(await q({ metrics: ['visitors', 'pageviews'], dimensions: ['country'] }))).toEqual([
      ['DE', 1, 4],
      ['FR', 1, 1],
      ['US', 1, 1],
    ]);
    expect(rows(await q({ metrics: ['visits'], dimensions: ['device'] }))).toEqual([
      ['desktop', 2],
      ['mobile', 1],
      ['tablet', 1],
    ]);
    expect(rows(await q({ metrics: ['visits'], dimensions: ['browser', 'os'] }))).toEqual([
      ['Firefox', 'Linux', 3],
      ['Chrome', 'iOS', 1],
    ]);
  });

  it('event_name and prop:<key> with revenue', async () => {
    expect(rows(await q({ metrics: ['events', 'revenue'], dimensions: ['event_name'] }))).toEqual([
      ['pageview', 6, 0],
      ['signup', 1, 49.5],
    ]);
    expect(rows(await q({ metrics: ['events'], dimensions: ['prop:plan'], filters: [['is', 'event_name', ['signup']]] }))).toEqual([['pro', 1]]);
  });
});

describe('filters', () => {
  const pv = async (filters: unknown[]) => (await q({ metrics: ['pageviews'], filters })).results[0]?.metrics[0];

  it('is, is_not, contains, matches', async () => {
    expect(await pv([['is', 'page', ['/pricing']]])).toBe(2);
    expect(await pv([['is', 'page', ['/pricing', '/']]])).toBe(4);
    expect(await pv([['is_not', 'country', ['DE']]])).toBe(2);
    expect(await pv([['contains', 'page', ['blog']]])).toBe(2);
    expect(await pv([['matches', 'page', ['/blog/*']]])).toBe(2);
    expect(await pv([['matches', 'page', ['/p*g']]])).toBe(2);
    expect(await pv([['matches', 'page', ['/p*']]])).toBe(2);
    expect(await pv([['matches', 'page', ['/pricing_']]])).toBe(0);
    expect(await pv([['is', 'page', ['/pricing']], ['is', 'country', ['US']]])).toBe(1);
  });

  it('on session dimensions and props', async () => {
    const r = await q({ metrics: ['pageviews', 'events', 'visits'], filters: [['is', 'source', ['Google']]] });
    expect(rows(r)).toEqual([[2, 3, 1]]);
    expect(await pv([['is', 'entry_page', ['/blog/post-1']]])).toBe(2);
    expect((await q({ metrics: ['events'], filters: [['is', 'prop:plan', ['pro']]] })).results[0]?.metrics[0]).toBe(1);
  });
});

describe('order_by, limit, offset', () => {
  it('pages through a breakdown without overlap', async () => {
    const first = await q({ metrics: ['pageviews'], dimensions: ['page'], limit: 2 });
    expect(rows(first)).toEqual([
      ['/', 2],
      ['/pricing', 2],
    ]);
    expect(first.meta.has_more).toBe(true);
    const second = await q({ metrics: ['pageviews'], dimensions: ['page'], limit: 2, offset: 2 });
    expect(rows(second)).toEqual([
      ['/blog/post-1', 1],
      ['/blog/post-2', 1],
    ]);
    expect(second.meta.has_more).toBe(false);
  });

  it('orders by any requested field', async () => {
    expect(rows(await q({ metrics: ['pageviews'], dimensions: ['page'], order_by: [['page', 'desc']] })).map((r) => r[0])).toEqual([
      '/pricing',
      '/blog/post-2',
      '/blog/post-1',
      '/',
    ]);
    const series = await q({ metrics: ['pageviews'], dimensions: ['time:day'], order_by: [['time:day', 'desc']], limit: 1 });
    expect(rows(series)).toEqual([['2026-01-06T00:00:00+00:00', 3]]);
    expect(series.meta.has_more).toBe(true);
  });
});

describe('compare', () => {
  it('previous_period totals', async () => {
    const r = await q({ metrics: ['pageviews', 'visitors', 'bounce_rate'], compare: 'previous_period' });
    expect(r.meta.compare_range).toEqual({ from: '2026-01-03T00:00:00.000Z', to: '2026-01-05T00:00:00.000Z' });
    expect(r.results[0]?.comparison).toEqual({ dimensions: [], metrics: [2, 1, 0], change: [200, 200, 50] });
  });

  it('matches time buckets by position and breakdowns by value', async () => {
    const r = await q({ metrics: ['pageviews'], dimensions: ['time:day'], compare: 'previous_period' });
    expect(r.results.map((x) => [x.dimensions[0], x.metrics[0], x.comparison?.dimensions[0], x.comparison?.metrics[0], x.comparison?.change[0]])).toEqual([
      ['2026-01-05T00:00:00+00:00', 3, '2026-01-03T00:00:00+00:00', 0, null],
      ['2026-01-06T00:00:00+00:00', 3, '2026-01-04T00:00:00+00:00', 2, 50],
    ]);
    // No data on either side: a change of 0 (from 0 to 0), not null (from 0 to something).
    const quiet = await q({ metrics: ['pageviews'], dimensions: ['time:day'], date_range: { from: '2026-01-03T00:00:00Z', to: '2026-01-05T00:00:00Z' }, compare: 'previous_period' });
    expect(quiet.results.map((x) => [x.dimensions[0], x.metrics[0], x.comparison?.metrics[0], x.comparison?.change[0]])).toEqual([
      ['2026-01-03T00:00:00+00:00', 0, 0, 0],
      ['2026-01-04T00:00:00+00:00', 2, 0, null],
    ]);
    const pages = await q({ metrics: ['pageviews'], dimensions: ['page'], compare: { from: '2026-01-04T00:00:00Z', to: '2026-01-05T00:00:00Z' } });
    expect(pages.results.map((x) => [x.dimensions[0], x.comparison?.metrics[0], x.comparison?.change[0]])).toEqual([
      ['/', 1, 100],
      ['/pricing', 1, 100],
      ['/blog/post-1', 0, null],
      ['/blog/post-2', 0, null],
    ]);
  });
});

describe('time zones', () => {
  it('a spring-forward day has 23 hourly buckets, in the site zone by default', async () => {
    const r = await q({ metrics: ['pageviews'], dimensions: ['time:hour'], date_range: { from: '2026-03-29T00:00:00+01:00', to: '2026-03-30T00:00:00+02:00' } }, berlin);
    expect(r.meta.timezone).toBe('Europe/Berlin');
    expect(r.results).toHaveLength(23);
    expect(r.results.filter((x) => x.metrics[0] !== 0).map((x) => x.dimensions[0])).toEqual([
      '2026-03-29T00:00:00+01:00',
      '2026-03-29T01:00:00+01:00',
      '2026-03-29T03:00:00+02:00',
    ]);
  });

  it('a fall-back day has 25 hourly buckets and 02:00 twice', async () => {
    const r = await q({ metrics: ['pageviews'], dimensions: ['time:hour'], date_range: { from: '2026-10-25T00:00:00+02:00', to: '2026-10-26T00:00:00+01:00' } }, berlin);
    expect(r.results).toHaveLength(25);
    expect(r.results.filter((x) => x.metrics[0] !== 0).map((x) => x.dimensions[0])).toEqual(['2026-10-25T02:00:00+02:00', '2026-10-25T02:00:00+01:00']);
  });

  it('compares the hours of a DST day with the same clock hours of the day before', async () => {
    const r = await q(
      { metrics: ['pageviews'], dimensions: ['time:hour'], date_range: { from: '2026-03-29T00:00:00+01:00', to: '2026-03-30T00:00:00+02:00' }, compare: 'previous_period' },
      berlin,
    );
    const pair = (hour: string) => r.results.find((x) => x.dimensions[0] === hour)?.comparison?.dimensions[0];
    expect(pair('2026-03-29T01:00:00+01:00')).toBe('2026-03-28T01:00:00+01:00');
    // By position this was 02:00 of the day before: every later hour was compared with the hour before it.
    expect(pair('2026-03-29T03:00:00+02:00')).toBe('2026-03-28T03:00:00+01:00');
    expect(pair('2026-03-29T23:00:00+02:00')).toBe('2026-03-28T23:00:00+01:00');
    // The day before (from the answer's own compare_range) has 24 hours; its 02:00 pairs with nothing.
    expect(r.results.map((x) => x.comparison?.dimensions[0])).not.toContain('2026-03-28T02:00:00+01:00');
  });

  it('days follow local midnights across the change', async () => {
    const r = await q({ metrics: ['pageviews'], dimensions: ['time:day'], date_range: { from: '2026-03-28T00:00:00+01:00', to: '2026-03-31T00:00:00+02:00' } }, berlin);
    expect(rows(r)).toEqual([
      ['2026-03-28T00:00:00+01:00', 0],
      ['2026-03-29T00:00:00+01:00', 3],
      ['2026-03-30T00:00:00+02:00', 1],
    ]);
  });

  it('timezone overrides the site zone', async () => {
    const r = await q({ metrics: ['pageviews'], dimensions: ['time:day'], timezone: 'America/New_York' });
    // 01-06 23:59:59Z is 18:59 on the 6th in New York; the 01-05 10:00Z events are on the 5th.
    expect(rows(r)).toEqual([
      ['2026-01-04T00:00:00-05:00', 0],
      ['2026-01-05T00:00:00-05:00', 3],
      ['2026-01-06T00:00:00-05:00', 3],
    ]);
  });
});

describe('relative ranges', () => {
  it('today, yesterday, 7d and 24h resolve against the clock in the query zone', async () => {
    expect((await q({ metrics: ['pageviews'], date_range: 'today' })).meta.date_range).toEqual({ from: '2026-01-06T00:00:00.000Z', to: '2026-01-07T00:00:00.000Z' });
    expect(rows(await q({ metrics: ['pageviews'], date_range: 'yesterday' }))).toEqual([[3]]);
    const week = await q({ metrics: ['pageviews'], date_range: '7d' });
    expect(week.meta.date_range).toEqual({ from: '2025-12-31T00:00:00.000Z', to: '2026-01-07T00:00:00.000Z' });
    expect(rows(week)).toEqual([[8]]);
    expect((await q({ metrics: ['pageviews'], date_range: '24h' })).meta.date_range).toEqual({ from: '2026-01-05T13:00:00.000Z', to: '2026-01-06T13:00:00.000Z' });
    expect((await q({ metrics: ['pageviews'], date_range: 'today' }, berlin)).meta.date_range).toEqual({ from: '2026-01-05T23:00:00.000Z', to: '2026-01-06T23:00:00.000Z' });
  });

  it('month and year to date, and <n>mo whole months, in the query zone', async () => {
    const month = await q({ metrics: ['pageviews'], date_range: 'month' });
    expect(month.meta.date_range).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-07T00:00:00.000Z' });
    expect(rows(month)).toEqual([[8]]);
    expect((await q({ metrics: ['pageviews'], date_range: 'year' })).meta.date_range).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-07T00:00:00.000Z' });
    // The whole of January: the event at 01-07 00:00 counts too.
    const months = await q({ metrics: ['pageviews'], dimensions: ['time:month'], date_range: '12mo' });
    expect(months.meta.date_range).toEqual({ from: '2025-02-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    expect(months.results).toHaveLength(12);
    expect(rows(months).at(-1)).toEqual(['2026-01-01T00:00:00+00:00', 9]);
    expect((await q({ metrics: ['pageviews'], date_range: 'month' }, berlin)).meta.date_range).toEqual({ from: '2025-12-31T23:00:00.000Z', to: '2026-01-06T23:00:00.000Z' });
    // The sites were created on the real clock, after this API's: "all" is today alone (all-time.test.ts has the rest).
    expect((await q({ metrics: ['pageviews'], date_range: 'all' }, berlin)).meta.date_range).toEqual({ from: '2026-01-05T23:00:00.000Z', to: '2026-01-06T23:00:00.000Z' });
    const tooLong = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, metrics: ['pageviews'], date_range: '37mo' } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toBe('date_range: may span at most 36 months (1098 days)');
  });
});

describe('bad requests name the field', () => {
  const bad = async (body: Record<string, unknown>) => {
    const r = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, metrics: ['pageviews'], ...body } });
    expect(r.status).toBe(400);
    return r.body.error.message as string;
  };

  it('rejects each invalid field with a 400 naming it', async () => {
    expect(await bad({ metrics: ['pageviews', 'nope'] })).toMatch(/^metrics\[1\]: /);
    expect(await bad({ metrics: [] })).toMatch(/^metrics: /);
    expect(await bad({ dimensions: ['time:year'] })).toMatch(/^dimensions\[0\]: /);
    expect(await bad({ dimensions: ['time:day', 'time:hour'] })).toMatch(/^dimensions: /);
    expect(await bad({ filters: [['like', 'page', ['/']]] })).toMatch(/^filters\[0\]\[0\]: /);
    expect(await bad({ filters: [['is', 'time:day', ['x']]] })).toMatch(/^filters\[0\]\[1\]: /);
    expect(await bad({ filters: [['is', 'page', 'x']] })).toMatch(/^filters\[0\]\[2\]: /);
    expect(await bad({ date_range: { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' } })).toMatch(/^date_range\.to: /);
    expect(await bad({ date_range: { from: 'yesterday-ish', to: '2026-01-01T00:00:00Z' } })).toMatch(/^date_range\.from: /);
    expect(await bad({ date_range: 'forever' })).toMatch(/^date_range: /);
    expect(await bad({ order_by: [['visitors', 'desc']] })).toMatch(/^order_by\[0\]\[0\]: /);
    expect(await bad({ limit: 0 })).toMatch(/^limit: /);
    expect(await bad({ offset: -1 })).toMatch(/^offset: /);
    expect(await bad({ timezone: 'Mars/Olympus' })).toMatch(/^timezone: /);
    expect(await bad({ compare: 'last_year' })).toMatch(/^compare: /);
    expect(await bad({ metrics: ['conversion_rate'] })).toMatch(/^metrics: .*goal/);
    expect(await bad({ metrics: ['conversion_rate'], dimensions: ['event_name', 'page'] })).toMatch(/^dimensions: /);
    expect(await bad({ dimensions: ['time:minute'], date_range: '30d' })).toMatch(/^date_range: .*buckets/);
    expect(await bad({ extra: 1 })).toMatch(/^extra: /);
    expect(await bad({ site_id: 'nope' })).toMatch(/^site_id: /);
  });

  it('rejects a body that is not JSON', async () => {
    const r = await call(h.url, 'POST', '/v1/query', { token: t.readKey, raw: '{"site_id":', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_json');
  });
});

describe('rollup routing', () => {
  /** The same range minus half a second: not on a rollup bucket boundary, so raw events answer. */
  const RAW_RANGE = { from: RANGE.from, to: '2026-01-06T23:59:59.500Z' };
  /** Two local days of UTC+1. */
  const UTC_PLUS_1 = { from: '2026-01-04T23:00:00Z', to: '2026-01-06T23:00:00Z' };

  it('answers from the cheapest rollup that gives the raw numbers', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ metrics: ['pageviews', 'visitors', 'visits', 'events'] }, 'rollup_site_day'],
      [{ metrics: ['pageviews', 'visitors', 'visits', 'events'], dimensions: ['time:day'] }, 'rollup_site_day'],
      [{ metrics: ['visitors', 'events'], dimensions: ['time:day'], compare: 'previous_period' }, 'rollup_site_day'],
      [{ metrics: ['pageviews', 'visitors', 'visits', 'events'], dimensions: ['event_name'] }, 'rollup_events_day'],
      [{ metrics: ['events'], dimensions: ['time:day', 'event_name'] }, 'rollup_events_day'],
      [{ metrics: ['visitors', 'events'], filters: [['is', 'event_name', ['signup']]] }, 'rollup_events_day'],
      [{ metrics: ['pageviews'], dimensions: ['page'] }, 'rollup_pages_day'],
      [{ metrics: ['pageviews'], filters: [['matches', 'page', ['/blog/*']]] }, 'rollup_pages_day'],
      [{ metrics: ['visitors', 'pageviews'], dimensions: ['country', 'device'] }, 'rollup_tech_geo_day'],
      [{ metrics: ['visitors'], dimensions: ['browser'], filters: [['is_not', 'os', ['iOS']]] }, 'rollup_tech_geo_day'],
      // Every event on the path counts (the signup on /pricing too), as on raw events.
      [{ metrics: ['visitors', 'pageviews'], dimensions: ['page'], order_by: [['visitors', 'desc']] }, 'rollup_paths_day'],
      [{ metrics: ['events', 'visits'], dimensions: ['page'], filters: [['contains', 'page', ['pricing']]] }, 'rollup_paths_day'],
      [{ metrics: ['visitors', 'events'], dimensions: ['page'], limit: 2, offset: 1, compare: 'previous_period' }, 'rollup_paths_day'],
    ];
    for (const [body, table] of cases) {
      const fast = await q(body);
      expect(fast.meta.source_table, JSON.stringify(body)).toBe(table);
      const oracle = await raw(body);
      expect(oracle.table).toBe('events');
      expect(fast.results, JSON.stringify(body)).toEqual(oracle.results);
      // Off the table's buckets: a finer grain that fits, or the whole buckets plus raw edges.
      // The last: no whole day, the bot's event inside.
      for (const date_range of [RAW_RANGE, UTC_PLUS_1, { from: '2026-01-05T06:00:00Z', to: '2026-01-06T18:00:00Z' }]) {
        const label = JSON.stringify({ ...body, date_range });
        const edged = await q({ ...body, date_range });
        expect(edged.meta.source_table, label).toMatch(/^rollup_/);
        expect(edged.results, label).toEqual((await raw({ ...body, date_range })).results);
      }
    }
    // A site a day ahead of UTC by an hour: top pages from the days in between and an hour of raw
    // events on each side; a range ending half a second early: the series and its raw edge.
    const pages = { metrics: ['visitors', 'pageviews'], dimensions: ['page'], order_by: [['visitors', 'desc']], date_range: UTC_PLUS_1 };
    expect((await q(pages)).meta.source_table).toBe('rollup_paths_day+events');
    const series = { metrics: ['visitors', 'pageviews'], dimensions: ['time:day'], date_range: RAW_RANGE };
    expect((await q(series)).meta.source_table).toBe('rollup_site_day+events');
  });

  it('uses finer grains for local buckets and short ranges, and says which metrics are sketches', async () => {
    const day = await q({ metrics: ['pageviews', 'visits'], dimensions: ['time:day'] });
    expect(day.meta.source_table).toBe('rollup_site_day');
    expect(day.meta.sketches).toEqual(['visits']);
    const ny = await q({ metrics: ['pageviews'], dimensions: ['time:day'], timezone: 'America/New_York' });
    expect(ny.meta.source_table).toBe('rollup_events_hour');
    const minute = await q({ metrics: ['events'], dimensions: ['time:minute'], date_range: { from: '2026-01-05T10:00:00Z', to: '2026-01-05T11:00:00Z' } });
    expect(minute.meta.source_table).toBe('rollup_events_minute');
    const berlin = await q({ metrics: ['pageviews'], dimensions: ['time:hour'], date_range: { from: '2026-03-29T00:00:00+01:00', to: '2026-03-30T00:00:00+02:00' } }, berlinTenant());
    expect(berlin.meta.source_table).toBe('rollup_events_hour');
    const kolkata = await q({ metrics: ['pageviews'], dimensions: ['time:day'], timezone: 'Asia/Kolkata' });
    expect(kolkata.meta.source_table).toBe('rollup_events_minute');
  });

  it('answers whole-visit reports from rollup_visits_day with the raw numbers', async () => {
    const cases: Record<string, unknown>[] = [
      { metrics: ['pageviews', 'events', 'visitors', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit', 'revenue'] },
      { metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'], compare: 'previous_period' },
      { metrics: ['visits', 'bounce_rate'], dimensions: ['entry_page'] },
      { metrics: ['visits', 'visit_duration'], dimensions: ['exit_page'], order_by: [['exit_page', 'asc']], limit: 1, offset: 1 },
      { metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['source'], order_by: [['visitors', 'desc']], limit: 10 },
      { metrics: ['visits'], dimensions: ['source', 'entry_page', 'exit_page'] },
      { metrics: ['visits', 'pageviews'], filters: [['is_not', 'source', ['Direct / None']]] },
      { metrics: ['bounce_rate', 'visits'], dimensions: ['time:day'], filters: [['matches', 'entry_page', ['/blog/*', '/']]] },
      { metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['entry_page'], include_bots: true },
    ];
    // Whole UTC days; a range ending half a second early; local days of UTC+1 (edges from raw events).
    for (const body of cases) {
      for (const date_range of [RANGE, RAW_RANGE, UTC_PLUS_1]) {
        const fast = await q({ ...body, date_range });
        const label = JSON.stringify({ ...body, date_range });
        expect(fast.meta.source_table, label).toBe(date_range === RANGE ? 'rollup_visits_day' : 'rollup_visits_day+events');
        const oracle = await raw({ ...body, date_range });
        expect(oracle.table).toBe('events');
        expect(fast.results, label).toEqual(oracle.results);
      }
    }
    // Headline totals take visitors from the site rollup's sketches, as a visitors-only total does.
    const cards = await q({ metrics: ['visits', 'visitors', 'bounce_rate'], compare: 'previous_period' });
    const visitorsOnly = await q({ metrics: ['visitors'], compare: 'previous_period' });
    expect(visitorsOnly.meta.source_table).toBe('rollup_site_day');
    expect(rows(cards)).toEqual([[4, 3, 50]]);
    expect(cards.results[0]?.comparison?.metrics).toEqual([1, 1, 0]);
    expect([cards.results[0]?.metrics[1], cards.results[0]?.comparison?.metrics[1]]).toEqual([
      visitorsOnly.results[0]?.metrics[0],
      visitorsOnly.results[0]?.comparison?.metrics[0],
    ]);
    expect(rows(await q({ metrics: ['visits', 'bounce_rate'], dimensions: ['entry_page'] }))).toEqual([
      ['/', 2, 50],
      ['/blog/post-1', 1, 0],
      ['/pricing', 1, 100],
    ]);
  });

  it('keeps raw events for per-visitor page counts and flat reports no rollup has (mixed reports: visits-join.test.ts)', async () => {
    for (const body of [
      { metrics: ['visitors', 'pageviews'], dimensions: ['page', 'country'] },
      { metrics: ['pageviews'], filters: [['is', 'country', ['DE']]], dimensions: ['page'] },
      { metrics: ['revenue'] },
    ]) {
      expect((await q(body)).meta.source_table, JSON.stringify(body)).toBe('events');
    }
  });
});

describe('visits end at midnight UTC', () => {
  it('counts a visit that crosses midnight once on each day, on raw events and on the visits table alike', async () => {
    const night = await createTenant(h.url, { domain: 'night.example' });
    const ev = (ts: string, path: string, session: string) => eventRow({ site_id: night.siteId, ts, path, visitor_id: `v-${session}`, session_id: session });
    await insertEvents(h.storage, [
      ev('2026-02-01T23:50:00Z', '/a', 'n1'),
      ev('2026-02-02T00:10:00Z', '/b', 'n1'),
      ev('2026-02-02T00:20:00Z', '/c', 'n1'),
      ev('2026-02-02T12:00:00Z', '/x', 'n2'),
    ]);
    const body = { metrics: ['visits', 'bounce_rate', 'visit_duration'], dimensions: ['entry_page'] };
    const whole = { from: '2026-02-01T00:00:00Z', to: '2026-02-03T00:00:00Z' };
    const fast = await q({ ...body, date_range: whole }, night);
    // Off midnight: the whole day in between from the table, the hours around it from raw events (n1's /a is left out).
    const edged = await q({ ...body, date_range: { from: '2026-02-01T23:55:00Z', to: '2026-02-03T00:30:00Z' } }, night);
    const oracle = await raw({ ...body, date_range: whole }, night);
    expect([fast.meta.source_table, edged.meta.source_table, oracle.table]).toEqual(['rollup_visits_day', 'rollup_visits_day+events', 'events']);
    // n1 is two visits: /a alone before midnight (a bounce), /b then /c after it (600 s).
    const expected = [
      ['/a', 1, 100, 0],
      ['/b', 1, 0, 600],
      ['/x', 1, 100, 0],
    ];
    expect(rows(fast)).toEqual(expected);
    expect(rows(oracle)).toEqual(expected);
    expect(rows(edged)).toEqual(expected.slice(1));
    const totals = { metrics: ['visits', 'bounce_rate', 'visit_duration', 'views_per_visit'], dimensions: ['time:day'] };
    for (const answer of [await q({ ...totals, date_range: whole }, night), await raw({ ...totals, date_range: whole }, night)]) {
      expect(rows(answer)).toEqual([
        ['2026-02-01T00:00:00+00:00', 1, 100, 0, 1],
        ['2026-02-02T00:00:00+00:00', 2, 50, 300, 1.5],
      ]);
    }
    // Raw events count visits the same way without session metrics (a rollup's sketch of
    // session ids, merged over days, counts n1 once: meta.sketches lists it).
    const visits = await raw({ metrics: ['visits'], date_range: whole }, night);
    expect([visits.table, rows(visits)]).toEqual(['events', [[3]]]);
    const sketched = await q({ metrics: ['visits'], date_range: whole }, night);
    expect([sketched.meta.source_table, rows(sketched), sketched.meta.sketches]).toEqual(['rollup_site_day', [[2]], ['visits']]);
  });

  it('breaks ties between events of the same millisecond the same way on both: the smaller value', async () => {
    const tie = await createTenant(h.url, { domain: 'tie.example' });
    const at = '2026-02-05T10:00:00.000Z';
    const ev = (path: string, referrer: string, ts = at) =>
      eventRow({ site_id: tie.siteId, ts, path, referrer, visitor_id: 'tv', session_id: 'ts1' });
    // Inserted in the order that an "argMin keeps the first row it sees" would get wrong.
    await insertEvents(h.storage, [ev('/zebra', 'https://z.example/'), ev('/apple', 'https://a.example/')]);
    await insertEvents(h.storage, [ev('/yak', 'https://y.example/', '2026-02-05T10:05:00.000Z'), ev('/yam', '', '2026-02-05T10:05:00.000Z')]);
    const body = { metrics: ['visits'], dimensions: ['entry_page', 'exit_page', 'referrer'] };
    const whole = { from: '2026-02-05T00:00:00Z', to: '2026-02-06T00:00:00Z' };
    const fast = await q({ ...body, date_range: whole }, tie);
    const oracle = await raw({ ...body, date_range: whole }, tie);
    expect([fast.meta.source_table, oracle.table]).toEqual(['rollup_visits_day', 'events']);
    // /zebra and /apple share the first instant, /yak and /yam the last.
    expect(rows(fast)).toEqual([['/apple', '/yam', 'https://a.example/', 1]]);
    expect(rows(oracle)).toEqual(rows(fast));
    // Read from raw events at a range's edge, the same.
    expect(rows(await q({ ...body, date_range: { ...whole, from: '2026-02-05T01:00:00Z' } }, tie))).toEqual(rows(fast));
  });
});

describe('headline totals from the visits table', () => {
  it('take visitors from the sketches a visitors-only total reads, so the two agree', async () => {
    const big = await createTenant(h.url, { domain: 'big.example' });
    const n = 5000;
    const start = Date.parse('2026-02-10T00:00:00Z');
    await insertEvents(
      h.storage,
      Array.from({ length: n }, (_, i) => eventRow({ site_id: big.siteId, ts: new Date(start + i * 1000).toISOString(), visitor_id: `bv${i}`, session_id: `bs${i}` })),
    );
    const range = { from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z' };
    const body = { metrics: ['visits', 'visitors', 'bounce_rate'] };
    const only = await q({ metrics: ['visitors'], date_range: range }, big);
    const cards = await q({ ...body, date_range: range }, big);
    const oracle = await raw({ ...body, date_range: range }, big);
    expect([only.meta.source_table, cards.meta.source_table, oracle.table]).toEqual(['rollup_site_day', 'rollup_visits_day', 'events']);
    // Raw events count visitors with uniq (exact below 65,536); the daily sketch estimates at this size.
    expect(rows(oracle)).toEqual([[n, n, 100]]);
    const sketched = only.results[0]?.metrics[0];
    expect(sketched).not.toBe(n);
    expect(rows(cards)).toEqual([[n, sketched, 100]]);
  });
});

describe('case-insensitive filters ({"case_sensitive": false}, the 4th element)', () => {
  /**
   * A site of its own, two whole UTC days, mixed case everywhere (the fixed data set above is left as it is):
   *
   * c1 u1 03-02 10:00 pv /Blog/Post (from Google) · 10:01 pv /blog/other · 10:02 Signup on /blog/other (plan=Pro, 10 EUR)
   * c2 u2 03-02 11:00 pv /BLOG/Post (utm_source google), browser FIREFOX — a bounce
   * c3 u3 03-03 09:00 pv /pricing · 09:00:30 signup on /pricing (plan=pro, 20 EUR)
   * c4 u4 03-03 12:00 pv /Pricing (utm_source Newsletter) — a bounce
   * c5 u5 03-03 13:00 pv /docs — a bounce
   */
  const CI_RANGE = { from: '2026-03-02T00:00:00Z', to: '2026-03-04T00:00:00Z' };
  /** The same two days of a site an hour ahead of UTC: whole hours, raw edges on day tables. */
  const CI_SHIFTED = { from: '2026-03-01T23:00:00Z', to: '2026-03-03T23:00:00Z' };
  const I = { case_sensitive: false };
  let ci: Tenant;

  beforeAll(async () => {
    ci = await createTenant(h.url, { domain: 'case.example' });
    const ev = (ts: string, path: string, visitor: string, extra: Record<string, unknown> = {}) =>
      eventRow({ site_id: ci.siteId, ts, path, visitor_id: visitor, session_id: `c-${visitor}`, ...extra });
    await insertEvents(h.storage, [
      ev('2026-03-02T10:00:00Z', '/Blog/Post', 'u1', { referrer: 'https://www.google.com/', referrer_host: 'www.google.com', source: 'Google' }),
      ev('2026-03-02T10:01:00Z', '/blog/other', 'u1'),
      ev('2026-03-02T10:02:00Z', '/blog/other', 'u1', { name: 'Signup', props: { plan: 'Pro' }, revenue_amount: 10, revenue_currency: 'EUR' }),
      ev('2026-03-02T11:00:00Z', '/BLOG/Post', 'u2', { utm_source: 'google', source: 'google', browser: 'FIREFOX' }),
      ev('2026-03-03T09:00:00Z', '/pricing', 'u3'),
      ev('2026-03-03T09:00:30Z', '/pricing', 'u3', { name: 'signup', props: { plan: 'pro' }, revenue_amount: 20, revenue_currency: 'EUR' }),
      ev('2026-03-03T12:00:00Z', '/Pricing', 'u4', { utm_source: 'Newsletter', source: 'Newsletter' }),
      ev('2026-03-03T13:00:00Z', '/docs', 'u5'),
    ]);
  });

  const ask = (body: Record<string, unknown>, date_range: unknown = CI_RANGE) => q({ date_range, ...body }, ci);
  const oracle = (body: Record<string, unknown>, date_range: unknown = CI_RANGE) => raw({ date_range, ...body }, ci);

  /**
   * Each op on `page`/`entry_page`, hand-computed: [filter, insensitive, the same filter case-sensitive].
   * Raw events: pageviews and revenue; rollups: events and visitors; the table of visits: visits and bounce rate.
   */
  const PAGE_CASES: { op: string; values: string[]; raw: [number[], number[]]; rollup: [number[], number[]]; visits: [number[], number[]] }[] = [
    // /Blog/Post and /BLOG/Post; case-sensitive, neither.
    { op: 'is', values: ['/blog/post'], raw: [[2, 0], [0, 0]], rollup: [[2, 2], [0, 0]], visits: [[2, 50], [0, 0]] },
    // All but /pricing and /Pricing; case-sensitive, all.
    { op: 'is_not', values: ['/PRICING'], raw: [[4, 10], [6, 30]], rollup: [[5, 3], [8, 5]], visits: [[3, 66.67], [5, 60]] },
    // /Blog/Post, /blog/other, /BLOG/Post; case-sensitive, /blog/other alone (no visit enters there).
    { op: 'contains', values: ['blog'], raw: [[3, 10], [1, 10]], rollup: [[4, 2], [2, 1]], visits: [[2, 50], [0, 0]] },
    // The same three; case-sensitive, /BLOG/Post alone.
    { op: 'matches', values: ['/BLOG/*'], raw: [[3, 10], [1, 0]], rollup: [[4, 2], [1, 1]], visits: [[2, 50], [1, 100]] },
  ];

  it('each op on raw events, with the case-sensitive answer unchanged', async () => {
    for (const c of PAGE_CASES) {
      for (const [filter, want] of [
        [[c.op, 'page', c.values, I], c.raw[0]],
        [[c.op, 'page', c.values], c.raw[1]],
        [[c.op, 'page', c.values, { case_sensitive: true }], c.raw[1]],
      ] as const) {
        const body = { metrics: ['pageviews', 'revenue'], filters: [filter] };
        const r = await ask(body);
        expect([r.meta.source_table, rows(r)], JSON.stringify(filter)).toEqual(['events', [want]]);
        expect((await oracle(body)).results).toEqual(r.results);
      }
    }
    expect(rows(await ask({ metrics: ['pageviews'], filters: [['matches', 'page', ['/p*ING'], I]] }))).toEqual([[2]]);
    expect(rows(await ask({ metrics: ['pageviews'], filters: [['matches', 'page', ['/p*ING']]] }))).toEqual([[0]]);
  });

  it('each op on the rollups (whole days, and hours with raw edges), as raw events answer', async () => {
    for (const c of PAGE_CASES) {
      for (const [filter, want] of [
        [[c.op, 'page', c.values, I], c.rollup[0]],
        [[c.op, 'page', c.values], c.rollup[1]],
      ] as const) {
        const label = JSON.stringify(filter);
        const body = { metrics: ['events', 'visitors'], filters: [filter] };
        const r = await ask(body);
        expect([r.meta.source_table, rows(r)], label).toEqual(['rollup_paths_day', [want]]);
        const shifted = await ask(body, CI_SHIFTED);
        expect([shifted.meta.source_table, rows(shifted)], label).toEqual(['rollup_paths_day+events', [want]]);
        expect((await oracle(body)).results, label).toEqual(r.results);
        // Pageviews alone read the pages rollup.
        const pv = await ask({ metrics: ['pageviews'], filters: [filter] });
        expect(pv.meta.source_table).toBe('rollup_pages_day');
        expect(pv.results).toEqual((await oracle({ metrics: ['pageviews'], filters: [filter] })).results);
      }
    }
    // A breakdown of the filtered dimension keeps each spelling as its own row.
    const pages = await ask({ metrics: ['visitors', 'events'], dimensions: ['page'], filters: [['contains', 'page', ['BLOG'], I]], order_by: [['visitors', 'desc']] });
    expect([pages.meta.source_table, rows(pages)]).toEqual([
      'rollup_paths_day',
      [
        ['/BLOG/Post', 1, 1],
        ['/Blog/Post', 1, 1],
        ['/blog/other', 1, 2],
      ],
    ]);
    // Other rollup columns: browsers (tech_geo) and event names (events).
    const firefox = await ask({ metrics: ['visitors'], filters: [['is', 'browser', ['firefox'], I]] });
    expect([firefox.meta.source_table, rows(firefox)]).toEqual(['rollup_tech_geo_day', [[5]]]);
    expect(rows(await ask({ metrics: ['visitors'], filters: [['is', 'browser', ['Firefox']]] }))).toEqual([[4]]);
    const signups = await ask({ metrics: ['events', 'visitors'], filters: [['is', 'event_name', ['SIGNUP'], I]] });
    expect([signups.meta.source_table, rows(signups)]).toEqual(['rollup_events_day', [[2, 2]]]);
    expect(rows(await ask({ metrics: ['events', 'visitors'], filters: [['is', 'event_name', ['SIGNUP']]] }))).toEqual([[0, 0]]);
    const byDay = await ask({ metrics: ['events'], dimensions: ['time:day'], filters: [['matches', 'event_name', ['sign*'], I]] });
    expect([byDay.meta.source_table, rows(byDay)]).toEqual([
      'rollup_events_day',
      [
        ['2026-03-02T00:00:00+00:00', 1],
        ['2026-03-03T00:00:00+00:00', 1],
      ],
    ]);
  });

  it('each op on the table of visits, edges from raw events included', async () => {
    for (const c of PAGE_CASES) {
      for (const [filter, want] of [
        [[c.op, 'entry_page', c.values, I], c.visits[0]],
        [[c.op, 'entry_page', c.values], c.visits[1]],
      ] as const) {
        const label = JSON.stringify(filter);
        const body = { metrics: ['visits', 'bounce_rate'], filters: [filter] };
        const r = await ask(body);
        expect([r.meta.source_table, rows(r)], label).toEqual(['rollup_visits_day', [want]]);
        const shifted = await ask(body, CI_SHIFTED);
        expect([shifted.meta.source_table, rows(shifted)], label).toEqual(['rollup_visits_day+events', [want]]);
        expect((await oracle(body)).results, label).toEqual(r.results);
      }
    }
    // Sources: "Google" (from the referrer) and "google" (utm_source) are one source ignoring case.
    const google = await ask({ metrics: ['visits', 'bounce_rate'], filters: [['is', 'source', ['GOOGLE'], I]] });
    expect([google.meta.source_table, rows(google)]).toEqual(['rollup_visits_day', [[2, 50]]]);
    expect(rows(await ask({ metrics: ['visits', 'bounce_rate'], filters: [['is', 'source', ['Google']]] }))).toEqual([[1, 0]]);
    const bySource = await ask({ metrics: ['visits'], dimensions: ['source'], filters: [['contains', 'utm_source', ['NEWS', 'GOO'], I]] });
    expect([bySource.meta.source_table, rows(bySource)]).toEqual([
      'rollup_visits_day',
      [
        ['Newsletter', 1],
        ['google', 1],
      ],
    ]);
  });

  it('on the visits join, props and goals (conversion_rate included)', async () => {
    const cases: [Record<string, unknown>, string, unknown[][]][] = [
      // Pages of the visits from Google, either spelling.
      [
        { metrics: ['visits', 'bounce_rate'], dimensions: ['page'], filters: [['is', 'source', ['GOOGLE'], I]] },
        'events+rollup_visits_day',
        [
          ['/BLOG/Post', 1, 100],
          ['/Blog/Post', 1, 0],
          ['/blog/other', 1, 0],
        ],
      ],
      // Visits that saw a blog page.
      [{ metrics: ['visits', 'bounce_rate'], filters: [['contains', 'page', ['BLOG'], I]] }, 'events+rollup_visits_day', [[2, 50]]],
      // The goal: Signup and signup, 2 of 5 visitors.
      [{ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event_name', ['SIGNUP'], I]] }, 'events', [[2, 40]]],
      [{ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event_name', ['SIGNUP']]] }, 'events', [[0, 0]]],
      [{ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event_name', ['signup']]] }, 'events', [[1, 20]]],
      // With a session metric, on events joined to the table of visits.
      [{ metrics: ['conversion_rate', 'visits', 'bounce_rate'], filters: [['contains', 'event_name', ['SIGN'], I]] }, 'events+rollup_visits_day', [[40, 2, 0]]],
      [
        { metrics: ['visitors', 'conversion_rate'], dimensions: ['event_name'], filters: [['matches', 'event_name', ['sign*'], I]] },
        'events',
        [
          ['Signup', 1, 20],
          ['signup', 1, 20],
        ],
      ],
      // The goal among pages matched ignoring case: u1's Signup on /blog/other.
      [{ metrics: ['conversion_rate', 'revenue'], filters: [['is', 'event_name', ['signup'], I], ['matches', 'page', ['/BLOG/*'], I]] }, 'events', [[50, 10]]],
      // Properties.
      [{ metrics: ['events', 'revenue'], filters: [['is', 'prop:plan', ['PRO'], I]] }, 'events', [[2, 30]]],
      [{ metrics: ['events', 'revenue'], filters: [['is', 'prop:plan', ['pro']]] }, 'events', [[1, 20]]],
      [{ metrics: ['events'], filters: [['is_not', 'prop:plan', ['PRO'], I]] }, 'events', [[6]]],
      [{ metrics: ['events'], filters: [['contains', 'prop:plan', ['R'], I]] }, 'events', [[2]]],
      [{ metrics: ['events'], filters: [['matches', 'prop:plan', ['p*O'], I]] }, 'events', [[2]]],
      [{ metrics: ['events'], dimensions: ['prop:plan'], filters: [['matches', 'prop:plan', ['P*'], I]] }, 'events', [['Pro', 1], ['pro', 1]]],
    ];
    for (const [body, table, want] of cases) {
      const label = JSON.stringify(body);
      const r = await ask(body);
      expect([r.meta.source_table, rows(r)], label).toEqual([table, want]);
      expect((await oracle(body)).results, label).toEqual(r.results);
    }
  });

  it('never shares a cached answer between a case-sensitive and an insensitive query', async () => {
    const body = (modifiers?: unknown) => ({
      site_id: ci.siteId,
      date_range: CI_RANGE,
      metrics: ['pageviews', 'visitors'],
      dimensions: ['device'],
      filters: [['contains', 'page', ['blog'], ...(modifiers === undefined ? [] : [modifiers])]],
    });
    const send = (modifiers?: unknown) => call(h.url, 'POST', '/v1/query', { token: ci.readKey, body: body(modifiers) });
    const seen = async (modifiers?: unknown) => {
      const r = await send(modifiers);
      expect(r.status).toBe(200);
      return [r.headers.get('x-cache'), r.body.results.map((x: { metrics: number[] }) => x.metrics)];
    };
    expect(await seen()).toEqual(['miss', [[1, 1]]]);
    expect(await seen(I)).toEqual(['miss', [[3, 2]]]);
    expect(await seen(I)).toEqual(['hit', [[3, 2]]]);
    expect(await seen()).toEqual(['hit', [[1, 1]]]);
    // `true` and `{}` are the default: the case-sensitive entry answers them.
    expect(await seen({ case_sensitive: true })).toEqual(['hit', [[1, 1]]]);
    expect(await seen({})).toEqual(['hit', [[1, 1]]]);
    // An ETag of one is no 304 for the other.
    const sensitive = await send();
    const insensitive = await call(h.url, 'POST', '/v1/query', { token: ci.readKey, body: body(I), headers: { 'if-none-match': sensitive.headers.get('etag') ?? '' } });
    expect(insensitive.status).toBe(200);
    expect(insensitive.headers.get('etag')).not.toBe(sensitive.headers.get('etag'));
  });

  it('refuses bad modifiers with a 400 naming the field', async () => {
    const bad = async (filters: unknown[]) => {
      const r = await call(h.url, 'POST', '/v1/query', { token: ci.readKey, body: { site_id: ci.siteId, date_range: CI_RANGE, metrics: ['pageviews'], filters } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      return r.body.error.message as string;
    };
    expect(await bad([['contains', 'page', ['blog'], { case_sensitive: 'false' }]])).toBe('filters[0][3].case_sensitive: must be a boolean');
    expect(await bad([['is', 'page', ['/'], I], ['contains', 'page', ['blog'], { case_sensitive: 0 }]])).toBe('filters[1][3].case_sensitive: must be a boolean');
    expect(await bad([['contains', 'page', ['blog'], { case_sensitive: false, ignore_case: true }]])).toBe('filters[0][3].ignore_case: is not a known field');
    expect(await bad([['contains', 'page', ['blog'], 'case_insensitive']])).toBe('filters[0][3]: must be an object');
    expect(await bad([['contains', 'page', ['blog'], null]])).toBe('filters[0][3]: must be an object');
    expect(await bad([['contains', 'page', ['blog'], [false]]])).toBe('filters[0][3]: must be an object');
    expect(await bad([['contains', 'page', ['blog'], I, I]])).toBe('filters[0]: must have at most 4 items');
    expect(await bad([['contains', 'page', [], I]])).toMatch(/^filters\[0\]\[2\]: /);
  });
});
