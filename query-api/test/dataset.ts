import type { Storage } from '@pulse/aggregator/storage';
import { eventRow, insertEvents } from './harness.js';

/**
 * A small fixed data set with hand-computed answers (see query.test.ts). Range under test:
 * 2026-01-05T00:00Z to 2026-01-07T00:00Z; the previous period holds one session (S0).
 *
 * S1 v1 01-05 10:00 pv /  (from Google) · 10:01 pv /pricing · 10:02:30 signup on /pricing (plan=pro, 49.5 EUR)
 * S2 v2 01-05 11:30 pv /pricing (utm newsletter/email/jan), US mobile Chrome iOS — a bounce
 * S3 v1 01-06 09:00 pv /blog/post-1 (internal referrer) · 09:00:40 pv /blog/post-2
 * S4 v3 01-06 23:59:59 pv /, FR tablet — a bounce
 * bot   01-05 12:00 pv /            (is_bot = 1, excluded by default)
 * S0 v9 01-04 08:00 pv / · 08:00:10 pv /pricing   (previous period)
 * late  01-07 00:00 pv /             (just outside: `to` is exclusive)
 */
export async function insertDataset(storage: Storage, site: string): Promise<void> {
  const google = { referrer: 'https://google.com/search?q=shop', referrer_host: 'google.com', source: 'Google' };
  await insertEvents(storage, [
    eventRow({ site_id: site, ts: '2026-01-05T10:00:00Z', path: '/', visitor_id: 'v1', session_id: 's1', ...google }),
    eventRow({ site_id: site, ts: '2026-01-05T10:01:00Z', path: '/pricing', visitor_id: 'v1', session_id: 's1' }),
    eventRow({
      site_id: site,
      ts: '2026-01-05T10:02:30Z',
      name: 'signup',
      path: '/pricing',
      visitor_id: 'v1',
      session_id: 's1',
      props: { plan: 'pro' },
      revenue_amount: 49.5,
      revenue_currency: 'EUR',
    }),
    eventRow({
      site_id: site,
      ts: '2026-01-05T11:30:00Z',
      path: '/pricing',
      visitor_id: 'v2',
      session_id: 's2',
      utm_source: 'newsletter',
      source: 'newsletter',
      utm_medium: 'email',
      utm_campaign: 'jan',
      country: 'US',
      device: 'mobile',
      browser: 'Chrome',
      os: 'iOS',
    }),
    eventRow({
      site_id: site,
      ts: '2026-01-06T09:00:00Z',
      path: '/blog/post-1',
      visitor_id: 'v1',
      session_id: 's3',
      referrer: 'https://shop.example/',
      referrer_host: 'shop.example',
    }),
    eventRow({ site_id: site, ts: '2026-01-06T09:00:40Z', path: '/blog/post-2', visitor_id: 'v1', session_id: 's3' }),
    eventRow({ site_id: site, ts: '2026-01-06T23:59:59Z', path: '/', visitor_id: 'v3', session_id: 's4', country: 'FR', device: 'tablet' }),
    eventRow({ site_id: site, ts: '2026-01-05T12:00:00Z', path: '/', visitor_id: 'vb', session_id: 'sb', is_bot: 1 }),
    eventRow({ site_id: site, ts: '2026-01-04T08:00:00Z', path: '/', visitor_id: 'v9', session_id: 's0' }),
    eventRow({ site_id: site, ts: '2026-01-04T08:00:10Z', path: '/pricing', visitor_id: 'v9', session_id: 's0' }),
    eventRow({ site_id: site, ts: '2026-01-07T00:00:00Z', path: '/', visitor_id: 'v4', session_id: 's5' }),
  ]);
}

export const RANGE = { from: '2026-01-05T00:00:00Z', to: '2026-01-07T00:00:00Z' };
