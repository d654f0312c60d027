import type { AnyStreamRecord, CookielessIds, StreamRecord } from '@pulse/protocol';
import { eventRecordOf } from '@pulse/protocol/codec';
import { agentInfo } from './enrich/agent.js';
import { normalisePath } from './enrich/path.js';
import { acquisition } from './enrich/referrer.js';
import { referrerHost, urlParts } from './enrich/url.js';
import { cookielessVisitorId } from './enrich/visitor.js';
import { PoisonMessageError } from './errors.js';

/**
 * One row of the `events` table, as inserted. Times are epoch milliseconds: ClickHouse reads an
 * integer as a DateTime64(3)'s ticks, and the pipeline compares and sorts them as numbers.
 */
export interface EventRow {
  site_id: string;
  ts: number;
  event_id: string;
  name: string;
  visitor_id: string;
  session_id: string;
  user_id: string;
  url: string;
  hostname: string;
  path: string;
  title: string;
  referrer: string;
  referrer_host: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  source: string;
  medium: string;
  country: string;
  browser: string;
  browser_version: string;
  os: string;
  device: string;
  is_bot: number;
  screen_width: number;
  lang: string;
  props: Record<string, string>;
  revenue_amount: number;
  revenue_currency: string;
  received_at: number;
  stream_seq: number;
}

export interface RowContext {
  /** JetStream sequence of the message the record came in. */
  seq: number;
  /** Salt of the event's UTC day (for cookieless visitor ids). */
  saltFor(ms: number): Promise<string>;
  /**
   * Receives the cookieless visitor id of each UTC day the record's events used (by day number),
   * for the archived copy of the message (archive-copy.ts).
   */
  keep?: CookielessIds;
}

/** Days are UTC day numbers: the keys of a record's archived `cookieless_ids`. */
export const DAY_MS = 24 * 60 * 60 * 1000;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Shared by every event without properties (most of them): rows are never mutated in place. */
const NO_PROPS: Record<string, string> = Object.freeze({});

function propsToStrings(props: unknown): Record<string, string> {
  if (typeof props !== 'object' || props === null) return NO_PROPS;
  let out: Record<string, string> | undefined;
  for (const k in props) {
    if (!Object.hasOwn(props, k)) continue;
    const v = (props as Record<string, unknown>)[k];
    if (typeof v === 'string') setProp((out ??= {}), k, v);
    else if (typeof v === 'number' || typeof v === 'boolean') setProp((out ??= {}), k, String(v));
  }
  return out ?? NO_PROPS;
}

/**
 * A prop named `__proto__` is a key like any other: assigned, it would set the object's
 * prototype and vanish from the row (the storage encoders read own keys).
 */
function setProp(out: Record<string, string>, k: string, v: string): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/** Date's own range; ClickHouse would store anything beyond it as some other time. */
const MAX_TIME_MS = 8.64e15;

/**
 * Maps one stream record to `events` rows. The collector validated every event, so a record that
 * breaks the contract (no id, no numeric time) means a broken producer: the whole message is
 * poison and goes to the DLQ rather than being half-stored. A raw record (the request body as the
 * collector received it) is first validated again by protocol's own function, which gives the
 * events the collector accepted with the same ids and times; a body that no longer gives exactly
 * those throws StreamMessageError, poison as well.
 */
export async function recordToRows(stored: AnyStreamRecord, ctx: RowContext): Promise<EventRow[]> {
  const record = eventRecordOf(stored);
  const ua = str(record.ua);
  const agent = agentInfo(ua);
  // Whole milliseconds, as a Date keeps them: a JSON fraction would be read as a fraction of ticks.
  if (!(Math.abs(record.received_at) <= MAX_TIME_MS)) throw new PoisonMessageError('record has no numeric received_at');
  const receivedAt = Math.trunc(record.received_at);
  const rows: EventRow[] = [];
  // An SDK batch shares site, IP and user agent: hash once per UTC day, not once per event.
  let cookieless: { day: number; id: string } | undefined;
  for (const [i, e] of record.events.entries()) {
    if (typeof e !== 'object' || e === null) throw new PoisonMessageError(`event ${i} is not an object`);
    if (typeof e.id !== 'string' || e.id === '') throw new PoisonMessageError(`event ${i} has no id`);
    if (typeof e.name !== 'string' || e.name === '') throw new PoisonMessageError(`event ${i} has no name`);
    if (typeof e.ts !== 'number' || !(Math.abs(e.ts) <= MAX_TIME_MS)) throw new PoisonMessageError(`event ${i} has no numeric ts`);
    const url = str(e.url);
    const referrer = str(e.referrer);
    let visitor = str(e.visitor_id);
    if (visitor === '') {
      const day = Math.floor(e.ts / DAY_MS);
      if (cookieless?.day !== day) {
        cookieless = { day, id: await cookielessId(record, day, e.ts, ua, ctx.saltFor) };
        if (ctx.keep) ctx.keep[day] = cookieless.id;
      }
      visitor = cookieless.id;
    }
    const page = urlParts(url);
    const refHost = referrerHost(referrer);
    const from = acquisition(refHost, page.hostname, page.utm_source, page.utm_medium);
    // Every field spelled out, in the table's order: spreading the parts into the literal cost a
    // runtime property copy per part per event.
    rows.push({
      site_id: record.site_id,
      ts: Math.trunc(e.ts),
      event_id: e.id,
      name: e.name,
      visitor_id: visitor,
      session_id: str(e.session_id),
      user_id: str(e.user_id),
      url,
      hostname: page.hostname,
      path: normalisePath(page.path),
      utm_source: page.utm_source,
      utm_medium: page.utm_medium,
      utm_campaign: page.utm_campaign,
      utm_term: page.utm_term,
      utm_content: page.utm_content,
      title: str(e.title),
      referrer,
      referrer_host: refHost,
      source: from.source,
      medium: from.medium,
      country: str(record.country),
      browser: agent.browser,
      browser_version: agent.browser_version,
      os: agent.os,
      device: agent.device,
      is_bot: agent.is_bot,
      screen_width: Math.max(0, Math.trunc(num(e.screen_width))),
      lang: str(e.lang),
      props: propsToStrings(e.props),
      revenue_amount: num(e.revenue?.amount),
      revenue_currency: str(e.revenue?.currency),
      received_at: receivedAt,
      stream_seq: ctx.seq,
    });
  }
  return rows;
}

/**
 * The id live gave the record's visitor on that day when the record is an archived copy (which
 * has no ip), else the hash of the day's salt, site, ip and user agent. A record with neither (no
 * collector writes one; an archived copy carries an id for every day its events need one, except
 * for a message set aside after too many deliveries) hashes an empty ip, as a record without an
 * ip always did.
 */
async function cookielessId(record: StreamRecord, day: number, ts: number, ua: string, saltFor: RowContext['saltFor']): Promise<string> {
  const kept = record.cookieless_ids?.[day];
  if (typeof kept === 'string' && kept !== '') return kept;
  return cookielessVisitorId(await saltFor(ts), record.site_id, str(record.ip), ua);
}

/**
 * The cookieless ids `recordToRows` gives a record's events (those without a visitor id), by UTC
 * day number, without mapping them to rows: for archive rows written before the archive kept ids
 * (archive-scrub.ts). Throws StreamMessageError for a raw record whose body no longer expands.
 */
export async function cookielessIdsOf(stored: AnyStreamRecord, saltFor: RowContext['saltFor']): Promise<CookielessIds> {
  const record = eventRecordOf(stored);
  const ua = str(record.ua);
  const ids: CookielessIds = {};
  for (const e of record.events) {
    if (typeof e !== 'object' || e === null || typeof e.ts !== 'number' || str(e.visitor_id) !== '') continue;
    const day = Math.floor(e.ts / DAY_MS);
    ids[day] ??= await cookielessId(record, day, e.ts, ua, saltFor);
  }
  return ids;
}
