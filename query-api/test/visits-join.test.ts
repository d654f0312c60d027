import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, eventRow, insertEvents, rawAnswer, startHarness, type Harness, type Tenant } from './harness.js';

/**
 * Reports that mix visits with events (visit metrics or attributes with event filters or
 * dimensions, goals, hours) read events joined to the table of visits. Their answers must equal
 * raw events' (harness.ts rawAnswer) on a generated history with the awkward cases: visits across
 * midnight, a visit whose country changes, a visit whose agent turns out to be a bot half-way,
 * goals, revenue and props; over whole UTC days and over ranges that start or end off midnight.
 */
const DAY = 86_400_000;
const FROM = Date.parse('2026-02-03T00:00:00Z');
const RANGE = { from: '2026-02-03T00:00:00Z', to: '2026-02-05T00:00:00Z' };
/**
 * Whole UTC days; a range ending half a second early; two local days of UTC+1 (edges from raw
 * events); one such day, which holds no whole UTC day.
 */
const RANGES = [
  RANGE,
  { from: RANGE.from, to: '2026-02-04T23:59:59.500Z' },
  { from: '2026-02-02T23:00:00Z', to: '2026-02-04T23:00:00Z' },
  { from: '2026-02-03T23:00:00Z', to: '2026-02-04T23:00:00Z' },
];
const NOW = Date.parse('2026-02-06T12:00:00Z');
const JOINED = 'events+rollup_visits_day';

const PAGES = ['/', '/pricing', '/blog/post-1', '/blog/post-2', '/docs', '/cart'];
const COUNTRIES = ['DE', 'US', 'FR'];
const REFERRERS = [
  { referrer: '', referrer_host: '', source: '' },
  { referrer: 'https://google.com/search', referrer_host: 'google.com', source: 'Google' },
  { referrer: 'https://news.ycombinator.com/', referrer_host: 'news.ycombinator.com', source: 'Hacker News' },
];
const CAMPAIGNS = [
  { utm_source: '', utm_medium: '', utm_campaign: '' },
  { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'feb' },
];
const AGENTS = [
  { device: 'desktop', browser: 'Firefox', os: 'Linux' },
  { device: 'mobile', browser: 'Safari', os: 'iOS' },
];

/** A reproducible history: the range's two days and the two before (for comparisons). */
function history(siteId: string): Record<string, unknown>[] {
  // mulberry32: a small generator whose every bit varies (a plain LCG's low bits cycle).
  let state = 42;
  const rnd = (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * n);
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const rows: Record<string, unknown>[] = [];
  for (let s = 0; s < 160; s++) {
    const visitor = `v${rnd(60)}`;
    // Starts on any second of four days but never on a midnight (see RAW_RANGE); every 8th visit starts just before one.
    let ts = FROM - 2 * DAY + rnd(4) * DAY + (s % 8 === 0 ? DAY - 1000 * (1 + rnd(120)) : 1000 * (1 + rnd(86_000)));
    const acquisition = { ...pick(REFERRERS), ...pick(CAMPAIGNS) };
    if (acquisition.utm_source) acquisition.source = acquisition.utm_source;
    const agent = pick(AGENTS);
    let country = pick(COUNTRIES);
    const length = 1 + rnd(5);
    for (let k = 0; k < length; k++) {
      if (s % 11 === 0 && k === 2) country = 'FR';
      const custom = rnd(6) === 0 ? pick(['signup', 'purchase']) : undefined;
      rows.push(
        eventRow({
          site_id: siteId,
          ts,
          visitor_id: visitor,
          session_id: `s${s}`,
          path: pick(PAGES),
          country,
          ...agent,
          // The visit's first event tells where it came from.
          ...(k === 0 ? acquisition : {}),
          ...(custom ? { name: custom, props: { plan: pick(['pro', 'team']) }, revenue_amount: custom === 'purchase' ? 10 + rnd(90) : 0 } : {}),
          is_bot: s % 13 === 0 && k > 0 ? 1 : 0,
        }),
      );
      ts += 1000 * (5 + rnd(400));
    }
  }
  return rows;
}

let h: Harness;
let t: Tenant;

beforeAll(async () => {
  h = await startHarness({ now: () => NOW, rateLimit: { perSecond: 1000, burst: 1000 } });
  t = await createTenant(h.url);
  await insertEvents(h.storage, history(t.siteId));
});
afterAll(async () => h?.close());

async function q(body: Record<string, unknown>) {
  const r = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { results: { dimensions: string[]; metrics: number[] }[]; meta: Record<string, any> };
}

const CARDS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'];
const top = (dimension: string, metrics: string[], extra: Record<string, unknown> = {}) => ({
  dimensions: [dimension],
  metrics,
  order_by: [[metrics[0], 'desc']],
  limit: 10,
  ...extra,
});

describe('events joined to the table of visits', () => {
  it('answers reports that mix visits with events with the raw numbers', async () => {
    const cases: Record<string, unknown>[] = [
      // The dashboard's cards and panels once a filter is set.
      { metrics: CARDS, filters: [['is', 'page', ['/pricing']]], compare: 'previous_period' },
      { metrics: CARDS, filters: [['is', 'country', ['DE']]], compare: 'previous_period' },
      top('source', ['visitors', 'visits'], { filters: [['is', 'country', ['DE']]] }),
      top('entry_page', ['visitors', 'visits'], { filters: [['contains', 'page', ['blog']]] }),
      top('page', ['visitors', 'pageviews'], { filters: [['is', 'source', ['Google']]] }),
      top('country', ['visitors'], { filters: [['matches', 'entry_page', ['/blog/*']]] }),
      top('event_name', ['visitors', 'events'], { filters: [['is_not', 'source', ['Direct / None']], ['is_not', 'event_name', ['pageview']]] }),
      // Visit metrics by event dimensions, hours and local days, pages of a long list.
      top('page', ['visitors', 'pageviews', 'bounce_rate', 'visit_duration'], { limit: 3, offset: 2, compare: 'previous_period' }),
      { metrics: ['visits', 'bounce_rate'], dimensions: ['time:hour'] },
      { metrics: ['bounce_rate', 'views_per_visit'], dimensions: ['time:day'], timezone: 'America/New_York' },
      { metrics: ['visits'], dimensions: ['referrer', 'page'] },
      { metrics: ['visit_duration', 'visits'], dimensions: ['device', 'exit_page'], filters: [['contains', 'page', ['blog']]] },
      { metrics: ['views_per_visit', 'visitors'], dimensions: ['time:day', 'utm_source'], filters: [['is_not', 'browser', ['Safari']]] },
      { metrics: ['visits', 'revenue'], dimensions: ['prop:plan'], filters: [['contains', 'source', ['oo']]] },
      // Goals: conversions are per event, visits whole.
      { metrics: ['bounce_rate', 'conversion_rate'], filters: [['is', 'event_name', ['signup']]] },
      top('source', ['visitors', 'conversion_rate'], { filters: [['is', 'event_name', ['purchase']]] }),
      top('entry_page', ['visits', 'conversion_rate'], { filters: [['is', 'event_name', ['purchase']], ['is', 'country', ['US']]] }),
      { metrics: ['conversion_rate', 'revenue'], dimensions: ['country'], filters: [['is', 'event_name', ['purchase']], ['is', 'utm_campaign', ['feb']]] },
      { metrics: ['visitors', 'conversion_rate'], dimensions: ['event_name'], filters: [['is', 'source', ['Google', 'newsletter']]] },
      // Ignoring case ({"case_sensitive": false}) on events, visit attributes and goals.
      top('entry_page', ['visitors', 'visits'], { filters: [['contains', 'page', ['BLOG'], { case_sensitive: false }]] }),
      top('page', ['visitors', 'pageviews', 'bounce_rate'], { filters: [['is', 'source', ['GOOGLE'], { case_sensitive: false }]] }),
      { metrics: CARDS, filters: [['is_not', 'country', ['de'], { case_sensitive: false }]], compare: 'previous_period' },
      { metrics: ['bounce_rate', 'conversion_rate'], filters: [['matches', 'event_name', ['SIGN*'], { case_sensitive: false }]] },
      // With bots: a visit that turns bot half-way is one visit, as on raw events.
      { metrics: CARDS, filters: [['is', 'page', ['/pricing']]], include_bots: true },
      top('page', ['visitors', 'pageviews'], { filters: [['is', 'source', ['Google']]], include_bots: true }),
    ];
    for (const body of cases) {
      for (const date_range of RANGES) {
        const label = JSON.stringify({ ...body, date_range });
        const joined = await q({ ...body, date_range });
        expect(joined.meta.source_table, label).toBe(JOINED);
        if (date_range === RANGE) expect(joined.results.length, label).toBeGreaterThan(0);
        const oracle = await rawAnswer(h.storage, { site_id: t.siteId, ...body, date_range }, { now: NOW });
        expect(oracle.table).toBe('events');
        expect(joined.results, label).toEqual(oracle.results);
      }
    }
  });

  it('keeps raw events for reports without visits', async () => {
    for (const body of [
      { metrics: ['visitors', 'pageviews'], dimensions: ['page', 'country'] },
      { metrics: ['revenue'], filters: [['is', 'country', ['DE']]] },
    ]) {
      expect((await q(body)).meta.source_table, JSON.stringify(body)).toBe('events');
    }
  });
});
