import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM, type AcceptedEvent } from '@pulse/protocol';
import { createAggregator, silentLogger, type Aggregator } from '../src/index.js';
import { count, fixture, publish, SITE, UA_CHROME_WIN, UA_IPHONE, waitFor, type Fixture } from './helpers/fixture.js';

let f: Fixture;
let extra: NatsConnection | undefined;
const running: Aggregator[] = [];

beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  await extra?.close();
  await f.cleanup();
});

const MIN = 60_000;
const T0 = Date.now() - 3 * 60 * MIN;
let n = 0;
const pv = (path: string, at: number, more: Partial<AcceptedEvent> = {}): AcceptedEvent => ({
  id: `sv-${++n}`,
  name: 'pageview',
  ts: T0 + at,
  url: `https://shop.example.com${path}`,
  ...more,
});

describe('sessions (visits) with two aggregators on one consumer', () => {
  it('gives exact visits, bounce rate, duration, entry and exit pages on a scripted set of visits', async () => {
    extra = await connect({ servers: f.server.url });
    for (const nc of [f.nc, extra]) {
      const a = createAggregator({ nats: nc, storage: f.storage, logger: silentLogger, retryInitialMs: 50 });
      running.push(a);
    }
    for (const a of running) await a.start();

    // Visitor A: cookieless (ip + ua), two visits. Visitor B: SDK visitor id, one bounce.
    // Visitor C: SDK session id spanning 40 minutes (the SDK's id wins over the 30-minute rule).
    const a = { ip: '192.0.2.10', ua: UA_CHROME_WIN };
    const scripted: { who: { ip: string; ua: string }; e: AcceptedEvent }[] = [
      { who: a, e: pv('/pricing', 2 * MIN, { referrer: 'https://shop.example.com/' }) },
      { who: a, e: pv('/', 0, { url: 'https://shop.example.com/?utm_source=news&utm_campaign=spring', referrer: 'https://news.example/item' }) },
      { who: a, e: { id: `sv-${++n}`, name: 'signup', ts: T0 + 3 * MIN } },
      { who: a, e: pv('/blog/', 60 * MIN) },
      { who: { ip: '192.0.2.20', ua: UA_IPHONE }, e: pv('/pricing', 5 * MIN, { visitor_id: 'sdk-b' }) },
      { who: { ip: '192.0.2.30', ua: UA_IPHONE }, e: pv('/a', 10 * MIN, { visitor_id: 'sdk-c', session_id: 'sdk-s1' }) },
      { who: { ip: '192.0.2.30', ua: UA_IPHONE }, e: pv('/b', 50 * MIN, { visitor_id: 'sdk-c', session_id: 'sdk-s1' }) },
    ];
    // One message per event, so the two aggregators split them and race on the shared visit state.
    let last = 0;
    for (const s of scripted) {
      last = await publish(f.js, [{ site_id: SITE, received_at: s.e.ts + 100, ip: s.who.ip, ua: s.who.ua, country: 'NL', events: [s.e] }]);
    }
    // Acked = stored, archived and counted in the aggregator's status (rows are visible a little earlier).
    const jsm = await f.nc.jetstreamManager();
    await waitFor('all acked', async () => (await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER)).ack_floor.stream_seq === last);
    expect(await count(f.storage)).toBe(scripted.length);

    const sessions = await f.storage.query<{ entry: string; exit: string; pageviews: number; events: number; duration_ms: number }>(
      `SELECT argMinIf(path, ts, name = 'pageview') AS entry, argMaxIf(path, ts, name = 'pageview') AS exit,
              countIf(name = 'pageview') AS pageviews, count() AS events,
              toUInt64(dateDiff('millisecond', min(ts), max(ts))) AS duration_ms
       FROM events WHERE site_id = {site:String} GROUP BY session_id ORDER BY min(ts)`,
      { site: SITE },
    );
    expect(sessions).toEqual([
      { entry: '/', exit: '/pricing', pageviews: 2, events: 3, duration_ms: 3 * MIN },
      { entry: '/pricing', exit: '/pricing', pageviews: 1, events: 1, duration_ms: 0 },
      { entry: '/a', exit: '/b', pageviews: 2, events: 2, duration_ms: 40 * MIN },
      { entry: '/blog', exit: '/blog', pageviews: 1, events: 1, duration_ms: 0 },
    ]);
    const bounces = sessions.filter((s) => s.pageviews === 1 && s.events === 1).length;
    expect(bounces / sessions.length).toBe(0.5);
    const meanDuration = sessions.reduce((t, s) => t + s.duration_ms, 0) / sessions.length / 1000;
    expect(meanDuration).toBe(645);
    // The visits table, filled by both aggregators' inserts, holds the same visits, one row each.
    const fromEvents = await f.storage.query(
      `SELECT argMin(path, ts) AS entry, argMax(path, ts) AS exit, argMin(referrer, ts) AS ref, argMin(utm_campaign, ts) AS uc,
              cityHash64(any(visitor_id)) AS vh,
              countIf(name = 'pageview') AS pageviews, count() AS events,
              toUInt64(dateDiff('millisecond', min(ts), max(ts))) AS duration_ms
       FROM events WHERE site_id = {site:String} GROUP BY session_id, toDate(ts) ORDER BY min(ts)`,
      { site: SITE },
    );
    const fromVisits = await f.storage.query(
      `SELECT substring(entry, 13) AS entry, substring(exit, 13) AS exit, substring(acq_referrer, 13) AS ref,
              substring(acq_utm_campaign, 13) AS uc, visitor_hash AS vh, pageviews, events,
              toUInt64(dateDiff('millisecond', started, ended)) AS duration_ms
       FROM rollup_visits_day FINAL WHERE site_id = {site:String} ORDER BY started`,
      { site: SITE },
    );
    expect(fromVisits.length).toBeGreaterThanOrEqual(sessions.length);
    expect(fromVisits).toEqual(fromEvents);
    expect(fromVisits[0]).toMatchObject({ entry: '/', ref: 'https://news.example/item', uc: 'spring' });
    // Every row was inserted exactly once across the two aggregators.
    const inserted = running.map((x) => x.status().rowsInserted);
    expect(inserted.reduce((t, x) => t + x, 0)).toBe(scripted.length);
  });
});
