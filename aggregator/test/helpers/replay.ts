import type { JetStreamClient, JetStreamManager } from 'nats';
import { afterEach, beforeEach } from 'vitest';
import { AGGREGATOR_CONSUMER, encodeRecord, EVENTS_STREAM, KV_SITES, type SiteRecord, type SiteSettings, type StreamRecord } from '@pulse/protocol';
import { ROLLUPS, type Storage } from '../../src/storage/index.js';
import type { Aggregator, ReplayManager } from '../../src/index.js';
import { fixture, SITE, UA_CHROME_WIN, UA_IPHONE, waitFor, type Fixture } from './fixture.js';

export const OTHER_SITE = 's_BBBBBBBBBBBBBBBB';

/** The rules besides `excluded_paths`. */
export type OtherRules = Omit<SiteSettings, 'excluded_paths'>;

export function siteRecord(siteId: string, excluded: string[], rules: OtherRules = {}): SiteRecord {
  return { site_id: siteId, merchant_id: 'm_AAAAAAAAAAAAAAAA', domain: 'shop.example.com', timezone: 'UTC', settings: { excluded_paths: excluded, ...rules }, created_at: 1 };
}

/** Writes the site's rules to `PULSE_SITES`, as the admin API does, and gives running aggregators' watches time to apply them. */
export async function setSiteRules(js: JetStreamClient, siteId: string, excluded: string[], rules: OtherRules = {}): Promise<void> {
  const sites = await js.views.kv(KV_SITES, { history: 1 });
  await sites.put(siteId, encodeRecord(siteRecord(siteId, excluded, rules)));
  // The aggregators' KV watches apply it within milliseconds.
  await new Promise((r) => setTimeout(r, 500));
}

let n = 0;

/**
 * One collector request: a few visitors browsing shop and admin pages, without SDK session ids
 * (server-side visits), some cookieless (no visitor id), plus a custom event.
 */
export function traffic(base: number, opts: { site?: string; paths?: string[]; visitors?: number; host?: string } = {}): StreamRecord[] {
  const host = opts.host ?? 'shop.example.com';
  const paths = opts.paths ?? ['/shop', '/admin/users', '/shop/cart', '/admin/settings'];
  const out: StreamRecord[] = [];
  for (let v = 0; v < (opts.visitors ?? 3); v++) {
    const cookieless = v % 3 === 2;
    out.push({
      site_id: opts.site ?? SITE,
      received_at: base + 500,
      ip: `203.0.113.${v + 1}`,
      ua: v % 2 === 0 ? UA_CHROME_WIN : UA_IPHONE,
      country: v % 2 === 0 ? 'DE' : 'FR',
      events: [
        ...paths.map((p, i) => ({
          id: `ev-${++n}`,
          name: 'pageview',
          ts: base + v * 1000 + i * 60_000,
          url: `https://${host}${p}`,
          referrer: i === 0 ? 'https://www.google.com/' : '',
          ...(cookieless ? {} : { visitor_id: `vis-${v}` }),
          // Revenue in a third currency on an admin page: excluding /admin/* takes GBP away.
          ...(p === '/admin/settings' ? { revenue: { amount: 4.25, currency: 'GBP' } } : {}),
        })),
        {
          id: `ev-${++n}`,
          name: 'signup',
          ts: base + v * 1000 + 30_000,
          url: `https://${host}/shop`,
          ...(cookieless ? {} : { visitor_id: `vis-${v}` }),
          props: { plan: 'pro' },
          // Revenue in two currencies on a shop page (rollup_site_day's revenue_currencies).
          revenue: { amount: 12.5 + v, currency: v % 2 === 0 ? 'EUR' : 'USD' },
        },

      ],
    });
  }
  return out;
}

export interface Numbers {
  rows: Record<string, unknown>[];
  rollups: Record<string, unknown[]>;
}

/** Everything a dashboard could read: every stored row (enriched fields and visit) and every rollup. */
export async function numbers(s: Storage): Promise<Numbers> {
  const rows = await s.query(
    `SELECT site_id, event_id, name, path, visitor_id, session_id, source, medium, device, browser, country, revenue_amount, revenue_currency, stream_seq
     FROM events ORDER BY site_id, event_id`,
  );
  const rollups: Record<string, unknown[]> = {};
  for (const r of ROLLUPS) {
    const dims = ['site_id', 'bucket', ...Object.keys(r.dims)].join(', ');
    // Visitors and visits live in the sketches (rollups without them keep counts only).
    const uniques = r.sketches ? ', uniqCombinedMerge(12)(visitors_sketch) AS visitors, uniqCombinedMerge(12)(visits_sketch) AS visits' : '';
    // Rollups with measures of their own (the visits table) have revenue too.
    const columns = r.measures ? Object.keys(r.measures.columns) : ['events', 'pageviews', ...Object.keys(r.added?.columns ?? {})];
    const sums = ['events', 'pageviews', 'revenue'].filter((c) => columns.includes(c)).map((c) => `sum(${c}) AS ${c}`);
    // The site rollup: the currencies of each day's revenue.
    const currencies = columns.includes('revenue_currencies') ? ', arraySort(groupUniqArrayArray(revenue_currencies)) AS revenue_currencies' : '';
    // The visits table: each visit's span, visitor hash, entry and exit pages and acquisition too.
    const visit = columns.includes('visitor_hash')
      ? `, min(started) AS started, max(ended) AS ended, max(visitor_hash) AS vh, min(entry) AS entry, max(exit) AS exit,
         min(acq_source) AS src, min(acq_referrer) AS ref, min(acq_utm_source) AS us,
         min(acq_utm_medium) AS um, min(acq_utm_campaign) AS uc`
      : '';
    rollups[r.table] = await s.query(
      `SELECT ${dims}, ${sums.join(', ')}${uniques}${currencies}${visit}
       FROM ${r.table} GROUP BY ${dims} ORDER BY ${dims}`,
    );
  }
  return { rows, rollups };
}

/** What the query loop watches: raw and rollup totals of the site. */
export async function totals(s: Storage, site = SITE): Promise<{ raw: number; minute: number; pages: number; sources: number; visits: number }> {
  const [r] = await s.query<{ raw: number; minute: number; pages: number; sources: number; visits: number }>(
    `SELECT
       (SELECT count() FROM events WHERE site_id = {site:String}) AS raw,
       (SELECT sum(events) FROM rollup_events_minute WHERE site_id = {site:String}) AS minute,
       (SELECT sum(pageviews) FROM rollup_pages_hour WHERE site_id = {site:String}) AS pages,
       (SELECT sum(events) FROM rollup_sources_day WHERE site_id = {site:String}) AS sources,
       (SELECT sum(events) FROM rollup_visits_day WHERE site_id = {site:String}) AS visits`,
    { site },
  );
  return r!;
}

/** Waits until the live aggregator finished every message in the stream. */
export async function caughtUp(jsm: JetStreamManager): Promise<void> {
  await waitFor('live aggregator caught up', async () => {
    const s = await jsm.streams.info(EVENTS_STREAM);
    const c = await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    return c.ack_floor.stream_seq >= s.state.last_seq;
  });
}

/**
 * A fresh fixture for every test of the file (handed to `use`); the aggregators and replay
 * managers a test pushes onto the returned lists are stopped after it, then the fixture is cleaned up.
 */
export function fixturePerTest(use: (f: Fixture) => void): { aggregators: Aggregator[]; managers: ReplayManager[] } {
  const aggregators: Aggregator[] = [];
  const managers: ReplayManager[] = [];
  let current: Fixture | undefined;
  beforeEach(async () => {
    current = await fixture();
    use(current);
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    for (const a of aggregators.splice(0)) await a.stop();
    await current?.cleanup();
  });
  return { aggregators, managers };
}
