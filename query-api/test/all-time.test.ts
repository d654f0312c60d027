import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RANGE_DAYS } from '../src/query/date-range.js';
import { call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Tenant } from './harness.js';

const DAY = 86_400_000;

// Sites are created on the real clock; the API's clock is then moved years ahead of it, so that
// "all" spans more than MAX_RANGE_DAYS.
let clock = Date.now();
let h: Harness;
let berlin: Tenant;
let other: Tenant;
let createdAt: number;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  berlin = await createTenant(h.url, { timezone: 'Europe/Berlin' });
  other = await createTenant(h.url);
  const sites = await call(h.url, 'GET', '/v1/sites', { token: berlin.readKey });
  createdAt = sites.body.sites[0].created_at as number;
  clock = createdAt + 1_300 * DAY;
  await insertEvents(h.storage, [
    eventRow({ site_id: berlin.siteId, ts: createdAt + 60_000, visitor_id: 'a', session_id: 'a' }),
    eventRow({ site_id: berlin.siteId, ts: createdAt + 700 * DAY, visitor_id: 'b', session_id: 'b' }),
    eventRow({ site_id: berlin.siteId, ts: clock - 60_000, visitor_id: 'c', session_id: 'c' }),
    // Another site's event inside the range: never counted here.
    eventRow({ site_id: other.siteId, ts: createdAt + 700 * DAY, visitor_id: 'x', session_id: 'x' }),
  ]);
}, 60_000);
afterAll(async () => h?.close());

/** Start of the calendar day holding `ms`, in Berlin. */
function berlinMidnight(ms: number): number {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(ms)
    .split('-')
    .map(Number) as [number, number, number];
  // Berlin is UTC+1 or +2: the midnight is the one of those two candidates that falls on that date there.
  for (const offsetH of [1, 2]) {
    const t = Date.UTC(y, m - 1, d) - offsetH * 3_600_000;
    if (new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' }).format(t) === '00') return t;
  }
  throw new Error('no midnight');
}

describe('date_range "all"', () => {
  it('runs from the local day the site was created through today, past the limit other ranges have', async () => {
    const r = await call(h.url, 'POST', '/v1/query', {
      token: berlin.readKey,
      body: { site_id: berlin.siteId, metrics: ['pageviews', 'visitors'], date_range: 'all' },
    });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([{ dimensions: [], metrics: [3, 3] }]);
    const from = Date.parse(r.body.meta.date_range.from);
    const to = Date.parse(r.body.meta.date_range.to);
    expect(from).toBe(berlinMidnight(createdAt));
    expect(to).toBe(berlinMidnight(clock + DAY));
    expect(to - from).toBeGreaterThan(MAX_RANGE_DAYS * DAY);

    // The same span written out is refused: the limit guards explicit ranges.
    const explicit = await call(h.url, 'POST', '/v1/query', {
      token: berlin.readKey,
      body: { site_id: berlin.siteId, metrics: ['pageviews'], date_range: r.body.meta.date_range },
    });
    expect(explicit.status).toBe(400);
    expect(explicit.body.error.message).toBe(`date_range: may span at most ${MAX_RANGE_DAYS} days`);
  });

  it('buckets by month from the first month, and a funnel takes it too', async () => {
    const r = await call(h.url, 'POST', '/v1/query', {
      token: berlin.readKey,
      body: { site_id: berlin.siteId, metrics: ['pageviews'], dimensions: ['time:month'], date_range: 'all' },
    });
    expect(r.status).toBe(200);
    const rows = r.body.results as { dimensions: string[]; metrics: number[] }[];
    expect(rows.length).toBeGreaterThanOrEqual(43);
    expect(rows.reduce((a, x) => a + x.metrics[0]!, 0)).toBe(3);
    expect(rows[0]!.metrics[0]).toBe(1);
    expect(rows.at(-1)!.metrics[0]).toBe(1);

    const f = await call(h.url, 'POST', '/v1/funnel', {
      token: berlin.readKey,
      body: { site_id: berlin.siteId, date_range: 'all', steps: [{ page: '/' }, { event: 'signup' }] },
    });
    expect(f.status).toBe(200);
    expect(f.body.meta.date_range.from).toBe(r.body.meta.date_range.from);
  });
});
