import { DEFAULT_MAX_EVENT_AGE_MS, type AcceptedEvent, type AnyStreamMessage, type RawStreamRecord, type StreamRecord } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { AGENTS, CAMPAIGNS, COUNTRIES, REFERRERS, SITE_HOST, pagePath, pick, rng, skewed, type Agent, type Referrer } from '../fixtures/web.js';

/** How the collector's group commits look: several requests per message, mostly single beacons. */
export interface StreamShape {
  /** Requests (StreamRecords) coalesced into one JetStream message. */
  recordsPerMessage: number;
  /** Share of requests that are SDK batches of 2..maxSdkBatch events (the rest are 1-event beacons). */
  sdkShare: number;
  maxSdkBatch: number;
  /** Share of visitors without SDK ids (the browser script's cookieless default). */
  cookielessShare: number;
  sites: number;
  visitors: number;
  pages: number;
}

export const DEFAULT_SHAPE: StreamShape = {
  recordsPerMessage: 50,
  sdkShare: 0.2,
  maxSdkBatch: 20,
  cookielessShare: 0.7,
  sites: 100,
  visitors: 50_000,
  pages: 2_000,
};

export interface GeneratedRecord {
  /** The request with its events, as the aggregator sees it once decoded (the baseline's input). */
  record: StreamRecord;
  /** The collector's `id_base` for the request (see rawRecordOf). */
  idBase: string;
  agent: Agent;
  referrer: Referrer;
  campaign: (typeof CAMPAIGNS)[number];
  paths: string[];
}

export const siteId = (i: number): string => `s_bench${String(i).padStart(11, '0')}`;

/**
 * Deterministic requests in time order from `startMs`, `spacingMs` apart per event. Every event
 * has a unique id (`<prefix><n>`) so "all queryable" is an exact count.
 */
export function* generateRecords(opts: { events: number; startMs: number; spacingMs: number; seed: number; shape: StreamShape; idPrefix: string }): Generator<GeneratedRecord> {
  const r = rng(opts.seed);
  const s = opts.shape;
  let n = 0;
  while (n < opts.events) {
    const sdk = r() < s.sdkShare;
    const count = Math.min(opts.events - n, sdk ? 2 + Math.floor(r() * (s.maxSdkBatch - 1)) : 1);
    const visitor = skewed(r(), s.visitors, 2);
    const site = skewed((visitor * 2654435761) % 1000 / 1000, s.sites, 2);
    const agent = pick(AGENTS, ((visitor * 40503) % 997) / 997);
    const cookieless = (visitor % 100) / 100 < s.cookielessShare;
    const referrer = pick(REFERRERS, r());
    const campaign = pick(CAMPAIGNS, r());
    const country = pick(COUNTRIES, ((visitor * 7919) % 991) / 991).code;
    const ts = opts.startMs + n * opts.spacingMs;
    const events: AcceptedEvent[] = [];
    const paths: string[] = [];
    for (let k = 0; k < count; k++) {
      const path = pagePath(skewed(r(), s.pages));
      paths.push(path);
      const pageview = k === 0 || r() < 0.6;
      const e: AcceptedEvent = {
        id: `${opts.idPrefix}${n + k}`,
        name: pageview ? 'pageview' : r() < 0.5 ? 'add_to_cart' : 'click',
        ts: ts + k * opts.spacingMs,
        url: `https://${SITE_HOST}${path}${k === 0 ? campaign.query : ''}`,
        referrer: k === 0 ? referrer.url : `https://${SITE_HOST}/`,
        title: `Shop – ${path}`,
        screen_width: agent.device === 'mobile' ? 390 : agent.device === 'tablet' ? 820 : 1440,
        lang: country === 'DE' ? 'de-DE' : country === 'FR' ? 'fr-FR' : 'en-US',
      };
      if (!pageview) e.props = { sku: `sku-${visitor % 500}`, variant: 'blue' };
      if (!cookieless) {
        e.visitor_id = `v_${visitor}`;
        e.session_id = `ses_${visitor}_${Math.floor(ts / 1_800_000)}`;
      }
      events.push(e);
    }
    n += count;
    const record: StreamRecord = {
      site_id: siteId(site),
      received_at: ts + count * opts.spacingMs + 5,
      ip: `10.${(visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor & 255}`,
      ua: agent.ua,
      country,
      events,
    };
    yield {
      record,
      idBase: `${opts.idPrefix}req${n}`,
      agent,
      referrer,
      campaign,
      paths,
    };
  }
}

/**
 * What a collector publishes for a request whose events it all accepted: a raw record, the body as
 * received, which the aggregator decodes and validates again (collector-core's forwardWhole).
 */
export function rawRecordOf(record: StreamRecord, idBase: string): RawStreamRecord {
  const { events, ...edge } = record;
  return { ...edge, body: encodeMsgpack({ events }), format: 'msgpack', max_event_age_ms: DEFAULT_MAX_EVENT_AGE_MS, id_base: idBase, accepted: events.length };
}

/** Groups requests into stream messages the way a collector's group commit does. */
export function* generateMessages(records: Iterable<GeneratedRecord>, recordsPerMessage: number): Generator<{ message: AnyStreamMessage; events: number; generated: GeneratedRecord[] }> {
  let batch: GeneratedRecord[] = [];
  const flush = () => {
    const out = { message: { v: 2 as const, records: batch.map((g) => rawRecordOf(g.record, g.idBase)) }, events: batch.reduce((s, g) => s + g.record.events.length, 0), generated: batch };
    batch = [];
    return out;
  };
  for (const g of records) {
    batch.push(g);
    if (batch.length >= recordsPerMessage) yield flush();
  }
  if (batch.length) yield flush();
}
