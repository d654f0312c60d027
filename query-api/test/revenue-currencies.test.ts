import { UTC_SITE } from '../src/query/test-fixtures.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVENUE_CURRENCIES_MIGRATION, revenueCurrencies } from '../src/query/currencies.js';
import { planQuery, validateQueryRequest } from '../src/query/plan.js';
import { call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Tenant } from './harness.js';

/**
 * `revenue` sums amounts as sent, whatever their currency: the answer names the currencies it
 * mixes (`meta.revenue_currencies`: from the `revenue_currencies` column of the aggregator's
 * rollup_site_day, or from raw events under the query's other filters) and warns when they are
 * several; `revenue_currency` splits them. Hand-computed on this data set:
 *
 * site (UTC), range 2026-02-02T00:00Z – 2026-02-04T00:00Z:
 *   02-02 10:00 purchase 30 EUR (v1) · 12:00 pageview (v1) · 11:00 purchase 12.5 USD (v2)
 *   02-03 09:00 purchase 20 EUR (v3) · 09:30 pageview (v3)
 *   02-02 13:00 purchase 100 GBP, a bot (excluded unless include_bots)
 *   02-04 00:00 purchase 7 CHF (outside: `to` is exclusive)
 *   02-01 10:00 purchase 5 JPY (the previous period)
 * In range, bots excluded: revenue 62.5 = EUR 50 (2 events) + USD 12.5 (1) + no revenue (2 events).
 *
 * shop (UTC), the same range, for the list under other filters (each a visit of its own):
 *   s_a 02-02 10:00 pageview /landing from Google (DE) · 10:05 purchase on /a, 10 EUR, plan=pro
 *   s_b 02-02 11:00 pageview /b (US) · 11:05 purchase on /b, 20 USD, plan=basic
 *   s_c 02-03 09:00 pageview /Blog/post (GB) · 09:10 purchase on /Blog/checkout, 5 GBP, plan=team
 *       · 09:20 upgrade on /c, 8 CHF (no plan)
 *   02-02 13:00 purchase on /a, 50 SEK, a bot
 *   02-01 10:00 purchase on /a, 3 JPY (the previous period)
 * In range, bots excluded: revenue 43 in CHF, EUR, GBP, USD.
 */
const NOW = Date.parse('2026-02-10T12:00:00Z');
const RANGE = { from: '2026-02-02T00:00:00Z', to: '2026-02-04T00:00:00Z' };

let h: Harness;
let t: Tenant;
let single: Tenant;
let none: Tenant;
let berlin: Tenant;
let shop: Tenant;

const purchase = (site: string, ts: string, amount: number, currency: string, extra: Record<string, unknown> = {}) =>
  eventRow({ site_id: site, ts, name: 'purchase', revenue_amount: amount, revenue_currency: currency, ...extra });

beforeAll(async () => {
  h = await startHarness({ now: () => NOW, rateLimit: { perSecond: 1000, burst: 1000 } });
  t = await createTenant(h.url);
  single = await createTenant(h.url);
  none = await createTenant(h.url);
  berlin = await createTenant(h.url, { timezone: 'Europe/Berlin', domain: 'de.example' });
  shop = await createTenant(h.url);
  const at = (session: string, country: string) => ({ visitor_id: `v_${session}`, session_id: session, country });
  const google = { source: 'Google', referrer: 'https://www.google.com/', referrer_host: 'www.google.com' };
  await insertEvents(h.storage, [
    purchase(t.siteId, '2026-02-02T10:00:00Z', 30, 'EUR', { visitor_id: 'v1', session_id: 's1' }),
    eventRow({ site_id: t.siteId, ts: '2026-02-02T12:00:00Z', visitor_id: 'v1', session_id: 's1' }),
    purchase(t.siteId, '2026-02-02T11:00:00Z', 12.5, 'USD', { visitor_id: 'v2', session_id: 's2' }),
    purchase(t.siteId, '2026-02-03T09:00:00Z', 20, 'EUR', { visitor_id: 'v3', session_id: 's3' }),
    eventRow({ site_id: t.siteId, ts: '2026-02-03T09:30:00Z', visitor_id: 'v3', session_id: 's3' }),
    purchase(t.siteId, '2026-02-02T13:00:00Z', 100, 'GBP', { visitor_id: 'vb', session_id: 'sb', is_bot: 1 }),
    purchase(t.siteId, '2026-02-04T00:00:00Z', 7, 'CHF', { visitor_id: 'v4', session_id: 's4' }),
    purchase(t.siteId, '2026-02-01T10:00:00Z', 5, 'JPY', { visitor_id: 'v0', session_id: 's0' }),
    // A site selling in one currency only.
    purchase(single.siteId, '2026-02-02T10:00:00Z', 9.99, 'EUR'),
    purchase(single.siteId, '2026-02-03T10:00:00Z', 10.01, 'EUR'),
    // A site without any revenue.
    eventRow({ site_id: none.siteId, ts: '2026-02-02T10:00:00Z' }),
    // Europe/Berlin (UTC+1 in February): its 2 and 3 February are 02-01T23:00Z – 02-03T23:00Z.
    purchase(berlin.siteId, '2026-02-01T23:30:00Z', 3, 'USD'), // 00:30 on the 2nd, local: in (an edge, raw events)
    purchase(berlin.siteId, '2026-02-02T10:00:00Z', 4, 'EUR'), // in (a whole UTC day, the site rollup)
    purchase(berlin.siteId, '2026-02-03T23:30:00Z', 5, 'GBP'), // 00:30 on the 4th, local: out, though on the UTC day of the 3rd
    purchase(berlin.siteId, '2026-02-01T22:30:00Z', 6, 'CHF'), // 23:30 on the 1st, local: out, though on the UTC day of the 1st
    eventRow({ site_id: shop.siteId, ts: '2026-02-02T10:00:00Z', path: '/landing', ...at('s_a', 'DE'), ...google }),
    purchase(shop.siteId, '2026-02-02T10:05:00Z', 10, 'EUR', { path: '/a', props: { plan: 'pro' }, ...at('s_a', 'DE') }),
    eventRow({ site_id: shop.siteId, ts: '2026-02-02T11:00:00Z', path: '/b', ...at('s_b', 'US') }),
    purchase(shop.siteId, '2026-02-02T11:05:00Z', 20, 'USD', { path: '/b', props: { plan: 'basic' }, ...at('s_b', 'US') }),
    eventRow({ site_id: shop.siteId, ts: '2026-02-03T09:00:00Z', path: '/Blog/post', ...at('s_c', 'GB') }),
    purchase(shop.siteId, '2026-02-03T09:10:00Z', 5, 'GBP', { path: '/Blog/checkout', props: { plan: 'team' }, ...at('s_c', 'GB') }),
    eventRow({ site_id: shop.siteId, ts: '2026-02-03T09:20:00Z', name: 'upgrade', path: '/c', revenue_amount: 8, revenue_currency: 'CHF', ...at('s_c', 'GB') }),
    purchase(shop.siteId, '2026-02-02T13:00:00Z', 50, 'SEK', { path: '/a', is_bot: 1, ...at('s_bot', 'DE') }),
    purchase(shop.siteId, '2026-02-01T10:00:00Z', 3, 'JPY', { path: '/a', ...at('s_0', 'DE') }),
  ]);
});
afterAll(async () => h?.close());

interface Answer {
  results: { dimensions: string[]; metrics: number[]; comparison?: { metrics: number[] } }[];
  meta: Record<string, any>;
}

async function q(body: Record<string, unknown>, tenant: Tenant = t): Promise<Answer> {
  const r = await call(h.url, 'POST', '/v1/query', { token: tenant.readKey, body: { site_id: tenant.siteId, date_range: RANGE, ...body } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body as Answer;
}

const rows = (r: Answer) => r.results.map((x) => [...x.dimensions, ...x.metrics]);
const MIXED = 'revenue sums amounts in EUR, USD without conversion (Pulse converts no currency): break it down by the revenue_currency dimension or filter on it, e.g. ["is", "revenue_currency", ["EUR"]]';

describe('revenue and its currencies', () => {
  it('a total names the currencies it adds up and warns that it mixes them', async () => {
    const r = await q({ metrics: ['revenue', 'events'] });
    expect(rows(r)).toEqual([[62.5, 5]]);
    expect(r.meta.source_table).toBe('events');
    expect(r.meta.revenue_currencies).toEqual(['EUR', 'USD']);
    expect(r.meta.warnings).toEqual([MIXED]);
  });

  it('breaks revenue down by revenue_currency, from raw events, with no warning', async () => {
    const r = await q({ metrics: ['revenue', 'events'], dimensions: ['revenue_currency'] });
    expect(rows(r)).toEqual([
      ['EUR', 50, 2],
      ['USD', 12.5, 1],
      ['', 0, 2],
    ]);
    expect(r.meta.source_table).toBe('events');
    expect(r.meta).not.toHaveProperty('revenue_currencies');
    expect(r.meta).not.toHaveProperty('warnings');
    // Per-event metrics the rollups could answer still read raw events with this dimension.
    const events = await q({ metrics: ['events', 'visitors'], dimensions: ['revenue_currency'], order_by: [['revenue_currency', 'asc']] });
    expect(rows(events)).toEqual([
      ['', 2, 2],
      ['EUR', 2, 2],
      ['USD', 1, 1],
    ]);
    expect(events.meta.source_table).toBe('events');
    const byDay = await q({ metrics: ['revenue'], dimensions: ['time:day', 'revenue_currency'], order_by: [['time:day', 'asc'], ['revenue_currency', 'asc']] });
    expect(rows(byDay)).toEqual([
      ['2026-02-02T00:00:00+00:00', '', 0],
      ['2026-02-02T00:00:00+00:00', 'EUR', 30],
      ['2026-02-02T00:00:00+00:00', 'USD', 12.5],
      ['2026-02-03T00:00:00+00:00', '', 0],
      ['2026-02-03T00:00:00+00:00', 'EUR', 20],
    ]);
    expect(byDay.meta).not.toHaveProperty('revenue_currencies');
  });

  it('filters on one currency: its sum alone, nothing to warn about', async () => {
    const eur = await q({ metrics: ['revenue', 'events'], filters: [['is', 'revenue_currency', ['EUR']]] });
    expect(rows(eur)).toEqual([[50, 2]]);
    expect(eur.meta).not.toHaveProperty('revenue_currencies');
    expect(eur.meta).not.toHaveProperty('warnings');
    // Ignoring case, one value is still one currency.
    const lower = await q({ metrics: ['revenue'], filters: [['is', 'revenue_currency', ['eur'], { case_sensitive: false }]] });
    expect(rows(lower)).toEqual([[50]]);
    expect(lower.meta).not.toHaveProperty('revenue_currencies');
  });

  it('other revenue_currency filters narrow the sum and the list alike', async () => {
    const both = await q({ metrics: ['revenue'], filters: [['is', 'revenue_currency', ['EUR', 'USD']]] });
    expect(rows(both)).toEqual([[62.5]]);
    expect(both.meta.revenue_currencies).toEqual(['EUR', 'USD']);
    expect(both.meta.warnings).toEqual([MIXED]);
    const notUsd = await q({ metrics: ['revenue'], filters: [['is_not', 'revenue_currency', ['USD']]] });
    expect(rows(notUsd)).toEqual([[50]]);
    expect(notUsd.meta.revenue_currencies).toEqual(['EUR']);
    expect(notUsd.meta).not.toHaveProperty('warnings');
    const us = await q({ metrics: ['revenue'], filters: [['contains', 'revenue_currency', ['US']]] });
    expect([rows(us), us.meta.revenue_currencies]).toEqual([[[12.5]], ['USD']]);
    const e = await q({ metrics: ['revenue'], filters: [['matches', 'revenue_currency', ['e*'], { case_sensitive: false }]] });
    expect([rows(e), e.meta.revenue_currencies]).toEqual([[[50]], ['EUR']]);
    // Events without revenue: '' is a value like any other.
    const without = await q({ metrics: ['events', 'revenue'], filters: [['is', 'revenue_currency', ['']]] });
    expect(rows(without)).toEqual([[2, 0]]);
    expect(without.meta).not.toHaveProperty('revenue_currencies');
  });

  it('excludes bots unless asked, and covers the compared range too', async () => {
    const bots = await q({ metrics: ['revenue'], include_bots: true });
    expect(rows(bots)).toEqual([[162.5]]);
    expect(bots.meta.revenue_currencies).toEqual(['EUR', 'GBP', 'USD']);
    expect(bots.meta.warnings?.[0]).toContain('revenue sums amounts in EUR, GBP, USD without conversion');
    const cmp = await q({ metrics: ['revenue'], compare: 'previous_period' });
    expect(cmp.results[0]?.metrics).toEqual([62.5]);
    expect(cmp.results[0]?.comparison?.metrics).toEqual([5]);
    expect(cmp.meta.revenue_currencies).toEqual(['EUR', 'JPY', 'USD']);
  });

  it('one currency: named, no warning; no revenue: an empty list; no revenue metric: nothing', async () => {
    const one = await q({ metrics: ['revenue', 'visitors'] }, single);
    expect(rows(one)).toEqual([[20, 1]]);
    expect(one.meta.revenue_currencies).toEqual(['EUR']);
    expect(one.meta).not.toHaveProperty('warnings');
    const zero = await q({ metrics: ['revenue'] }, none);
    expect(rows(zero)).toEqual([[0]]);
    expect(zero.meta.revenue_currencies).toEqual([]);
    expect(zero.meta).not.toHaveProperty('warnings');
    const traffic = await q({ metrics: ['events', 'visitors'] });
    expect(traffic.meta).not.toHaveProperty('revenue_currencies');
    expect(traffic.meta).not.toHaveProperty('warnings');
    // A breakdown by another dimension (raw events) or by visits (the table of visits) still names them.
    const byName = await q({ metrics: ['revenue'], dimensions: ['event_name'] });
    expect(rows(byName)).toEqual([
      ['purchase', 62.5],
      ['pageview', 0],
    ]);
    expect(byName.meta.revenue_currencies).toEqual(['EUR', 'USD']);
    const bySource = await q({ metrics: ['revenue', 'visits'], dimensions: ['source'] });
    expect(bySource.meta.source_table).toBe('rollup_visits_day');
    expect(bySource.meta.revenue_currencies).toEqual(['EUR', 'USD']);
  });

  it("a site's local days read the currencies of those days only (the site rollup's UTC days inside, raw events at the edges)", async () => {
    const day = { from: '2026-02-01T23:00:00Z', to: '2026-02-03T23:00:00Z' };
    const r = await q({ metrics: ['revenue'], date_range: day }, berlin);
    expect(rows(r)).toEqual([[7]]);
    expect(r.meta.revenue_currencies).toEqual(['EUR', 'USD']);
    const byCurrency = await q({ metrics: ['revenue'], dimensions: ['revenue_currency'], date_range: day }, berlin);
    expect(rows(byCurrency)).toEqual([
      ['EUR', 4],
      ['USD', 3],
    ]);
    // Whole UTC days from the site rollup only: the same rows the aggregator keeps.
    const utc = await q({ metrics: ['revenue'], date_range: { from: '2026-02-01T00:00:00Z', to: '2026-02-04T00:00:00Z' } }, berlin);
    expect(rows(utc)).toEqual([[18]]);
    expect(utc.meta.revenue_currencies).toEqual(['CHF', 'EUR', 'GBP', 'USD']);
  });

  it("lists only the currencies of the events the query's other filters keep, read from raw events", async () => {
    const all = await q({ metrics: ['revenue'] }, shop);
    expect([rows(all), all.meta.revenue_currencies]).toEqual([[[43]], ['CHF', 'EUR', 'GBP', 'USD']]);
    expect(all.meta.warnings).toEqual([
      'revenue sums amounts in CHF, EUR, GBP, USD without conversion (Pulse converts no currency): break it down by the revenue_currency dimension or filter on it, e.g. ["is", "revenue_currency", ["CHF"]]',
    ]);
    const a = await q({ metrics: ['revenue'], filters: [['is', 'page', ['/a']]] }, shop);
    expect([rows(a), a.meta.revenue_currencies]).toEqual([[[10]], ['EUR']]);
    expect(a.meta).not.toHaveProperty('warnings');
    const b = await q({ metrics: ['revenue', 'events'], filters: [['is', 'page', ['/b']]] }, shop);
    expect([rows(b), b.meta.revenue_currencies]).toEqual([[[20, 2]], ['USD']]);
    // A page without revenue: an empty list.
    const landing = await q({ metrics: ['revenue'], filters: [['is', 'page', ['/landing']]] }, shop);
    expect([rows(landing), landing.meta.revenue_currencies]).toEqual([[[0]], []]);
    const both = await q({ metrics: ['revenue'], filters: [['matches', 'page', ['/a', '/b']]] }, shop);
    expect([rows(both), both.meta.revenue_currencies, both.meta.warnings?.length]).toEqual([[[30]], ['EUR', 'USD'], 1]);
    // Together with a revenue_currency filter.
    const aNotEur = await q({ metrics: ['revenue'], filters: [['is', 'page', ['/a']], ['is_not', 'revenue_currency', ['EUR']]] }, shop);
    expect([rows(aNotEur), aNotEur.meta.revenue_currencies]).toEqual([[[0]], []]);
  });

  it('applies props, countries, every op and the case modifier to the list', async () => {
    const pro = await q({ metrics: ['revenue'], filters: [['is', 'prop:plan', ['pro']]] }, shop);
    expect([rows(pro), pro.meta.revenue_currencies]).toEqual([[[10]], ['EUR']]);
    const notPro = await q({ metrics: ['revenue'], filters: [['is_not', 'prop:plan', ['pro']]] }, shop);
    expect([rows(notPro), notPro.meta.revenue_currencies]).toEqual([[[33]], ['CHF', 'GBP', 'USD']]);
    const us = await q({ metrics: ['revenue'], filters: [['is', 'country', ['US']]] }, shop);
    expect([rows(us), us.meta.revenue_currencies]).toEqual([[[20]], ['USD']]);
    const notUs = await q({ metrics: ['revenue'], filters: [['is_not', 'country', ['US']]] }, shop);
    expect([rows(notUs), notUs.meta.revenue_currencies]).toEqual([[[23]], ['CHF', 'EUR', 'GBP']]);
    // Case counts unless told otherwise: /Blog/checkout holds "Blog", not "blog".
    const blog = await q({ metrics: ['revenue'], filters: [['contains', 'page', ['blog']]] }, shop);
    expect([rows(blog), blog.meta.revenue_currencies]).toEqual([[[0]], []]);
    const anyCase = await q({ metrics: ['revenue'], filters: [['contains', 'page', ['blog'], { case_sensitive: false }]] }, shop);
    expect([rows(anyCase), anyCase.meta.revenue_currencies]).toEqual([[[5]], ['GBP']]);
    const pattern = await q({ metrics: ['revenue'], filters: [['matches', 'page', ['/BLOG/*'], { case_sensitive: false }]] }, shop);
    expect([rows(pattern), pattern.meta.revenue_currencies]).toEqual([[[5]], ['GBP']]);
  });

  it("a goal's revenue lists the goal's currencies", async () => {
    const goal = await q({ metrics: ['revenue', 'conversion_rate'], filters: [['is', 'event_name', ['purchase']]] }, shop);
    expect(rows(goal)).toEqual([[35, 100]]);
    expect(goal.meta.revenue_currencies).toEqual(['EUR', 'GBP', 'USD']);
    const upgrades = await q({ metrics: ['revenue'], filters: [['is', 'event_name', ['upgrade']]] }, shop);
    expect([rows(upgrades), upgrades.meta.revenue_currencies]).toEqual([[[8]], ['CHF']]);
  });

  it('applies visit attributes (entry page, source) as the report does, through the table of visits', async () => {
    const entry = await q({ metrics: ['revenue'], filters: [['is', 'entry_page', ['/landing']]] }, shop);
    expect([rows(entry), entry.meta.revenue_currencies]).toEqual([[[10]], ['EUR']]);
    const blogEntry = await q({ metrics: ['revenue', 'visits', 'bounce_rate'], filters: [['is', 'entry_page', ['/Blog/post']]] }, shop);
    expect(blogEntry.meta.source_table).toBe('rollup_visits_day');
    expect([rows(blogEntry), blogEntry.meta.revenue_currencies]).toEqual([[[13, 1, 0]], ['CHF', 'GBP']]);
    const google = await q({ metrics: ['revenue'], filters: [['is', 'source', ['Google']]] }, shop);
    expect([rows(google), google.meta.revenue_currencies]).toEqual([[[10]], ['EUR']]);
    // A visit attribute and an event filter together.
    const mixed = await q({ metrics: ['revenue', 'visits'], dimensions: ['page'], filters: [['is', 'entry_page', ['/Blog/post']], ['is', 'event_name', ['upgrade']]] }, shop);
    expect(mixed.meta.source_table).toBe('events+rollup_visits_day');
    expect([rows(mixed), mixed.meta.revenue_currencies]).toEqual([[['/c', 8, 1]], ['CHF']]);
  });

  it('covers the compared range and bots under the same filters', async () => {
    const cmp = await q({ metrics: ['revenue'], filters: [['is', 'page', ['/a']]], compare: 'previous_period' }, shop);
    expect(cmp.results[0]?.metrics).toEqual([10]);
    expect(cmp.results[0]?.comparison?.metrics).toEqual([3]);
    expect(cmp.meta.revenue_currencies).toEqual(['EUR', 'JPY']);
    const cmpB = await q({ metrics: ['revenue'], filters: [['is', 'page', ['/b']]], compare: 'previous_period' }, shop);
    expect(cmpB.meta.revenue_currencies).toEqual(['USD']);
    const bots = await q({ metrics: ['revenue'], filters: [['is', 'page', ['/a']]], include_bots: true }, shop);
    expect([rows(bots), bots.meta.revenue_currencies]).toEqual([[[60]], ['EUR', 'SEK']]);
    // A site's local days under a filter: the edges of the range count, the hours outside do not.
    const day = { from: '2026-02-01T23:00:00Z', to: '2026-02-03T23:00:00Z' };
    const local = await q({ metrics: ['revenue'], date_range: day, filters: [['is', 'page', ['/']]] }, berlin);
    expect([rows(local), local.meta.revenue_currencies]).toEqual([[[7]], ['EUR', 'USD']]);
  });

  it('gives the same lists where visits are grouped from raw events (no table of visits)', async () => {
    const columns = await h.storage.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'");
    const schema = { eventColumns: new Set(columns.map((c) => c.name)), tables: new Set(['events', 'rollup_site_day']), migrations: new Set([REVENUE_CURRENCIES_MIGRATION]) };
    const listed = (body: Record<string, unknown>) =>
      revenueCurrencies(h.storage, planQuery(validateQueryRequest({ site_id: shop.siteId, date_range: RANGE, metrics: ['revenue'], ...body }), UTC_SITE, NOW), schema, {});
    expect(await listed({ filters: [['is', 'entry_page', ['/landing']]] })).toEqual(['EUR']);
    expect(await listed({ filters: [['contains', 'entry_page', ['BLOG'], { case_sensitive: false }]] })).toEqual(['CHF', 'GBP']);
    expect(await listed({ filters: [['is', 'source', ['Google']]], compare: 'previous_period' })).toEqual(['EUR']);
    expect(await listed({ filters: [['is', 'entry_page', ['/Blog/post']], ['is_not', 'event_name', ['upgrade']]] })).toEqual(['GBP']);
    expect(await listed({ filters: [['is', 'exit_page', ['/a']]], include_bots: true })).toEqual(['EUR', 'SEK']);
  });

  it('the cached answer and its ETag carry the currencies: different currencies, different ETag', async () => {
    const u = await createTenant(h.url);
    await insertEvents(h.storage, [purchase(u.siteId, '2026-02-02T10:00:00Z', 10, 'EUR')]);
    const body = { site_id: u.siteId, metrics: ['revenue'], date_range: RANGE };
    const first = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body });
    expect(first.body.results).toEqual([{ dimensions: [], metrics: [10] }]);
    expect(first.body.meta.revenue_currencies).toEqual(['EUR']);
    const etag = first.headers.get('etag')!;
    const hit = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body });
    expect(hit.headers.get('x-cache')).toBe('hit');
    expect(hit.body.meta.revenue_currencies).toEqual(['EUR']);

    // A free order in USD: the sum is the same, the currencies are not.
    await insertEvents(h.storage, [purchase(u.siteId, '2026-02-03T10:00:00Z', 0, 'USD')]);
    h.api.invalidateCache();
    const second = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body, headers: { 'if-none-match': etag } });
    expect(second.status).toBe(200);
    expect(second.body.results).toEqual(first.body.results);
    expect(second.body.meta.revenue_currencies).toEqual(['EUR', 'USD']);
    expect(second.body.meta.warnings).toHaveLength(1);
    expect(second.headers.get('etag')).not.toBe(etag);
    const notModified = await call(h.url, 'POST', '/v1/query', { token: u.readKey, body, headers: { 'if-none-match': second.headers.get('etag')! } });
    expect(notModified.status).toBe(304);
  });

  it('documents the dimension and the meta in /openapi.json', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    const request = doc.components.schemas.QueryRequest.properties;
    expect(request.dimensions.items.anyOf[0].enum).toContain('revenue_currency');
    expect(request.filters.items.prefixItems[1].anyOf[0].enum).toContain('revenue_currency');
    const text = doc.paths['/v1/query'].post.description as string;
    expect(text).toContain("- `revenue_currency`: ISO 4217 currency code of the event's revenue");
    expect(text).toContain('`meta.revenue_currencies` lists');
    const meta = doc.components.schemas.QueryResponse.properties.meta.properties;
    expect(meta.revenue_currencies.type).toBe('array');
    expect(meta.warnings.type).toBe('array');
  });
});
