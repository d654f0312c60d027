import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGGREGATOR_CONSUMER, DEFAULT_MAX_EVENT_AGE_MS, EVENTS_INGEST_SUBJECT, EVENTS_STREAM, type AnyStreamRecord, type RawStreamRecord } from '@pulse/protocol';
import { encodeMsgpack, encodeStreamMessage } from '@pulse/protocol/codec';
import { createAggregator, silentLogger, type Aggregator } from '../src/index.js';
import { fixture, record, SITE, UA_IPHONE, waitFor, type Fixture } from './helpers/fixture.js';

// Fields the audit found mishandled, through the real aggregator into ClickHouse (the Native
// insert's Map encoding included): prop keys named like Object.prototype's members, path urls,
// and ?ref= as the source.

let f: Fixture;
let aggregator: Aggregator | undefined;

beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await aggregator?.stop();
  aggregator = undefined;
  await f.cleanup();
});

const PROPS = '{"__proto__":"lost","plan":"kept","constructor":"c","toString":"t","hasOwnProperty":"h"}';
const enc = new TextEncoder();

/** A request body kept whole, as the collector keeps one whose events it all accepted. */
function raw(idBase: string, body: Uint8Array, format: 'json' | 'msgpack', accepted: number): RawStreamRecord {
  return { site_id: SITE, received_at: Date.now() - 60_000, ip: '198.51.100.4', ua: UA_IPHONE, country: 'FR', body, format, max_event_age_ms: DEFAULT_MAX_EVENT_AGE_MS, id_base: idBase, accepted };
}

describe('event fields into ClickHouse', () => {
  it('stores __proto__, constructor, toString and hasOwnProperty props, path pages and ?ref= sources', async () => {
    aggregator = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger, retryInitialMs: 50, retryMaxMs: 200 });
    await aggregator.start();
    const json = `{"events":[{"name":"proto2","props":${PROPS}},{"name":"pageview","url":"/pricing/?ref=producthunt","referrer":null}]}`;
    const reEncoded = record({}, 1);
    const first = reEncoded.events[0];
    if (first) first.props = JSON.parse(PROPS);
    const records: AnyStreamRecord[] = [raw('json-1', enc.encode(json), 'json', 2), raw('pack-1', encodeMsgpack(JSON.parse(json)), 'msgpack', 2), reEncoded];
    const { seq } = await f.js.publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage({ v: 2, records }), { msgID: 'fields-1' });
    const jsm = await f.nc.jetstreamManager();
    await waitFor('ack', async () => (await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER)).ack_floor.stream_seq >= seq);

    const props = await f.storage.query<{ event_id: string; keys: string[]; proto: string; ctor: string; ts: string; own: string }>(
      `SELECT event_id, mapKeys(props) AS keys, props['__proto__'] AS proto, props['constructor'] AS ctor, props['toString'] AS ts, props['hasOwnProperty'] AS own
       FROM events WHERE length(mapKeys(props)) > 0 ORDER BY event_id`,
    );
    expect(props.map((r) => r.event_id)).toEqual(['json-1.0', first?.id, 'pack-1.0'].sort());
    for (const r of props) {
      expect([...r.keys].sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'plan', 'toString']);
      expect([r.proto, r.ctor, r.ts, r.own]).toEqual(['lost', 'c', 't', 'h']);
    }

    const pages = await f.storage.query<{ event_id: string; hostname: string; path: string; utm_source: string; source: string }>(
      `SELECT event_id, hostname, path, utm_source, source FROM events WHERE name = 'pageview' AND event_id LIKE '%.1' ORDER BY event_id`,
    );
    expect(pages).toEqual([
      { event_id: 'json-1.1', hostname: '', path: '/pricing', utm_source: 'producthunt', source: 'producthunt' },
      { event_id: 'pack-1.1', hostname: '', path: '/pricing', utm_source: 'producthunt', source: 'producthunt' },
    ]);
  });
});
