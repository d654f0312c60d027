import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Tenant } from './harness.js';

const INJECTIONS = [
  "' OR 1=1 --",
  "'); DROP TABLE events; --",
  "\\' OR site_id != '' --",
  '{p0:String}',
  '{site:String}',
  '1) OR (1=1',
  "*' OR '1'='1",
  "%' OR 1=1 --",
  '\u0000',
  '`events`',
  '"; SELECT * FROM system.tables; --',
  "s_BBBBBBBBBBBBBBBB' OR '1'='1",
  ') UNION ALL SELECT site_id, count() FROM events GROUP BY site_id --',
];

let h: Harness;
let a: Tenant;
let b: Tenant;
const RANGE = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
/**
 * A has 3 pageviews, B has 50: any answer to A holding B's rows shows numbers A cannot have. A's
 * revenue is 1 EUR a pageview; B's is in a currency A never sold in, so a currency list holding
 * it would show B's data.
 */
const A_TOTAL = 3;
const B_CURRENCY = 'JPY';

beforeAll(async () => {
  h = await startHarness({ rateLimit: { perSecond: 10_000, burst: 10_000 } });
  a = await createTenant(h.url);
  b = await createTenant(h.url);
  const rows = [];
  for (let i = 0; i < A_TOTAL; i++) {
    rows.push(eventRow({ site_id: a.siteId, ts: Date.parse('2026-01-10T10:00:00Z') + i * 1000, session_id: `a${i}`, visitor_id: `a${i}`, revenue_amount: 1, revenue_currency: 'EUR' }));
  }
  for (let i = 0; i < 50; i++) {
    rows.push(
      eventRow({
        site_id: b.siteId, ts: Date.parse('2026-01-10T10:00:00Z') + i * 1000, session_id: `b${i}`, visitor_id: `b${i}`, path: '/secret-b', props: { k: 'b' },
        revenue_amount: 1000, revenue_currency: B_CURRENCY,
      }),
    );
  }
  await insertEvents(h.storage, rows);
});
afterAll(async () => h?.close());

function query(body: Record<string, unknown>, key = a.readKey) {
  return call(h.url, 'POST', '/v1/query', { token: key, body: { site_id: a.siteId, metrics: ['pageviews'], date_range: RANGE, ...body } });
}

function assertNoLeak(r: { status: number; body: any }, label: string): void {
  expect([200, 400, 404], label).toContain(r.status);
  const text = JSON.stringify(r.body);
  expect(text, label).not.toContain(b.siteId);
  expect(text, label).not.toContain('/secret-b');
  expect(text, label).not.toContain(B_CURRENCY);
  if (r.status === 200) {
    for (const row of r.body.results) for (const v of row.metrics) expect(v, label).toBeLessThanOrEqual(A_TOTAL);
    for (const c of r.body.meta.revenue_currencies ?? []) expect(c, label).toBe('EUR');
  } else {
    expect(r.body.error.code, label).toMatch(/^(invalid_request|not_found)$/);
  }
}

describe("a read key of merchant A never reaches B's data", () => {
  it("B's site id on every read endpoint answers 404", async () => {
    expect((await query({ site_id: b.siteId })).status).toBe(404);
    expect((await call(h.url, 'GET', `/v1/realtime?site_id=${b.siteId}`, { token: a.readKey })).status).toBe(404);
    const sites = await call(h.url, 'GET', '/v1/sites', { token: a.readKey });
    expect(JSON.stringify(sites.body)).not.toContain(b.siteId);
    for (const [method, path] of [
      ['GET', `/v1/admin/sites/${b.siteId}`],
      ['PATCH', `/v1/admin/sites/${b.siteId}`],
      ['DELETE', `/v1/admin/keys/${b.readKey}`],
      ['POST', '/v1/admin/keys'],
    ] as const) {
      const body = method === 'GET' ? {} : { body: { merchant_id: b.merchantId } };
      expect((await call(h.url, method, path, { token: a.readKey, ...body })).status).toBe(401);
    }
  });

  it('SQL injection strings in every field: never B, never a 500', async () => {
    for (const s of INJECTIONS) {
      const cases: Record<string, unknown>[] = [
        { site_id: s },
        { site_id: `${a.siteId}${s}` },
        { metrics: [s] },
        { dimensions: [s] },
        { dimensions: [`prop:${s}`] },
        { dimensions: ['page'], order_by: [[s, 'desc']] },
        { dimensions: ['page'], order_by: [['page', s]] },
        { filters: [['is', 'page', [s]]] },
        { filters: [['is_not', 'page', [s]]] },
        { filters: [['contains', 'page', [s]]] },
        { filters: [['matches', 'page', [s]]] },
        { filters: [['is', `prop:${s}`, [s]]] },
        { filters: [['matches', 'source', [s]]] },
        { filters: [[s, 'page', ['/']]] },
        { filters: [['is', s, ['/']]] },
        { date_range: s },
        { date_range: { from: s, to: RANGE.to } },
        { compare: s },
        { compare: { from: RANGE.from, to: s } },
        { timezone: s },
        { limit: s },
        { metrics: ['conversion_rate'], filters: [['is', 'event_name', [s]]] },
        { [s]: 1 },
        // Case-insensitive filters (the 4th element): values lowered in SQL, still parameters.
        ...(['is', 'is_not', 'contains', 'matches'] as const).flatMap((op) => [
          { filters: [[op, 'page', [s], { case_sensitive: false }]] },
          { filters: [[op, 'prop:k', [s, s.toUpperCase()], { case_sensitive: false }]] },
          { filters: [[op, 'entry_page', [s], { case_sensitive: false }]] },
          { metrics: ['visits', 'visit_duration'], dimensions: ['page'], filters: [[op, 'source', [s], { case_sensitive: false }]] },
        ]),
        { filters: [['is', `prop:${s}`, [s], { case_sensitive: false }]] },
        // The revenue_currency dimension and its filters (raw events), and the currencies of revenue answers.
        { dimensions: ['revenue_currency'], filters: [['is', 'revenue_currency', [s]]] },
        { metrics: ['revenue', 'events'], dimensions: ['revenue_currency'], include_bots: true },
        ...(['is', 'is_not', 'contains', 'matches'] as const).flatMap((op) => [
          { metrics: ['revenue', 'events'], filters: [[op, 'revenue_currency', [s]]] },
          { metrics: ['revenue'], filters: [[op, 'revenue_currency', [s, 'EUR'], { case_sensitive: false }]], compare: 'previous_period' },
          { metrics: ['revenue', 'visits', 'visitors'], dimensions: ['revenue_currency'], filters: [[op, 'revenue_currency', [s]], ['is_not', 'source', [s]]] },
        ]),
        { metrics: ['conversion_rate'], filters: [['contains', 'event_name', [s], { case_sensitive: false }]] },
        // Injections inside the modifiers object itself.
        { filters: [['is', 'page', ['/'], { [s]: false }]] },
        { filters: [['is', 'page', ['/'], { case_sensitive: s }]] },
        { filters: [['is', 'page', ['/'], { case_sensitive: false, [s]: true }]] },
        { filters: [['is', 'page', ['/'], s]] },
        { filters: [['is', 'page', ['/'], [s]]] },
        { filters: [['is', 'page', ['/'], { case_sensitive: false }, s]] },
      ];
      for (const c of cases) assertNoLeak(await query(c), `${JSON.stringify(s)} in ${JSON.stringify(c)}`);
      // Not only no leak: the right answer. A's pageviews are all on "/", which no string here is, ignoring case or not.
      const glob = (v: string) => new RegExp(`^${v.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'su');
      const lower = s.toLowerCase();
      const matched = { is: lower === '/', is_not: lower !== '/', contains: '/'.includes(lower), matches: glob(lower).test('/') };
      for (const [op, hit] of Object.entries(matched)) {
        const r = await query({ filters: [[op, 'page', [s], { case_sensitive: false }]] });
        expect([op, s, r.status, r.body.results]).toEqual([op, s, 200, [{ dimensions: [], metrics: [hit ? A_TOTAL : 0] }]]);
      }
      const rt = await call(h.url, 'GET', `/v1/realtime?site_id=${encodeURIComponent(s)}`, { token: a.readKey });
      expect([400, 404]).toContain(rt.status);
      const admin = await call(h.url, 'GET', `/v1/admin/sites/${encodeURIComponent(s)}`, { token: ADMIN_TOKEN });
      expect([400, 404]).toContain(admin.status);
      const bearer = await call(h.url, 'POST', '/v1/query', { headers: { authorization: `Bearer ${s}` }, body: { site_id: a.siteId } }).catch(() => ({ status: 401 }));
      expect(bearer.status).toBe(401);
    }
    // The table is intact and B's rows are where they were.
    const [row] = await h.storage.query<{ n: number }>('SELECT count() AS n FROM events WHERE site_id = {s:String}', { s: b.siteId });
    expect(row?.n).toBe(50);
  });

  it("a filter value equal to B's data matches nothing in A", async () => {
    const r = await query({ dimensions: ['page'], filters: [['is', 'page', ['/secret-b']]] });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([]);
    for (const op of ['is', 'contains', 'matches']) {
      const ci = await query({ dimensions: ['page'], filters: [[op, 'page', [op === 'matches' ? '/SECRET*' : '/SECRET-B'], { case_sensitive: false }]] });
      expect([op, ci.status, ci.body.results]).toEqual([op, 200, []]);
    }
    // Ignoring case still keeps A's own rows only.
    const own = await query({ dimensions: ['page'], filters: [['is_not', 'page', ['/SECRET-B'], { case_sensitive: false }]] });
    expect(own.body.results).toEqual([{ dimensions: ['/'], metrics: [A_TOTAL] }]);
    const all = await query({ dimensions: ['page'], include_bots: true });
    expect(all.body.results).toEqual([{ dimensions: ['/'], metrics: [A_TOTAL] }]);
  });

  it("revenue answers name A's currencies only, never those of B's site", async () => {
    const total = await query({ metrics: ['revenue'], include_bots: true, compare: 'previous_period' });
    expect(total.body.results).toEqual([{ dimensions: [], metrics: [A_TOTAL], comparison: expect.anything() }]);
    expect(total.body.meta.revenue_currencies).toEqual(['EUR']);
    expect(total.body.meta).not.toHaveProperty('warnings');
    const byCurrency = await query({ metrics: ['revenue'], dimensions: ['revenue_currency'] });
    expect(byCurrency.body.results).toEqual([{ dimensions: ['EUR'], metrics: [A_TOTAL] }]);
    for (const op of ['is', 'contains', 'matches']) {
      const r = await query({ metrics: ['revenue'], filters: [[op, 'revenue_currency', [B_CURRENCY, 'EUR']]] });
      expect([op, r.body.results, r.body.meta.revenue_currencies]).toEqual([op, [{ dimensions: [], metrics: [A_TOTAL] }], ['EUR']]);
      const only = await query({ metrics: ['revenue'], filters: [[op, 'revenue_currency', [B_CURRENCY]]] });
      expect(only.body.results).toEqual([{ dimensions: [], metrics: [0] }]);
    }
    const notB = await query({ metrics: ['revenue'], filters: [['is_not', 'revenue_currency', [B_CURRENCY]]] });
    expect(notB.body.meta.revenue_currencies).toEqual(['EUR']);
  });
});
