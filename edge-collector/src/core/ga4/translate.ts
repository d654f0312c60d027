import { MAX_ID_LENGTH, PAGEVIEW, isPlainObject } from '@pulse/protocol';
import { idOf, revenueOf, screenWidthOf, text } from '../compat/fields.js';
import { SCREENVIEW } from '../compat/names.js';
import { flattenProperties, setProp, type Flattened } from '../compat/props.js';
import type { Translation } from '../compat/translated.js';
import { ga4Time } from './timestamp.js';

/** GA4 names with a Pulse name of their own; any other name is kept as sent. */
const NAMES: ReadonlyMap<string, string> = new Map([
  ['page_view', PAGEVIEW],
  ['screen_view', SCREENVIEW],
]);

/**
 * GA's automatically collected events: the session start, the first visit or app open, and the
 * engagement-time heartbeat. Pulse derives those facts from the events it stores (sessions, new
 * visitors, visit duration), so storing them would count them twice. GA's own collection refuses
 * them from the Measurement Protocol too (reserved names).
 */
export const GA4_DERIVED_EVENTS: ReadonlySet<string> = new Set(['session_start', 'first_visit', 'first_open', 'user_engagement']);

/** Events whose `value` is revenue: money taken, or given back (a refund lowers revenue, as in GA's total revenue). */
const REVENUE_SIGN: ReadonlyMap<string, 1 | -1> = new Map([
  ['purchase', 1],
  ['refund', -1],
]);

/**
 * Params that become event fields, or only steer GA's own processing: `engagement_time_msec` feeds
 * GA's engaged sessions and is mostly a constant senders add so that GA's realtime report shows
 * the event (Pulse's visit duration comes from event times), `debug_mode` routes to GA's DebugView.
 */
const FIELD_PARAMS: ReadonlySet<string> = new Set([
  'page_location',
  'page_referrer',
  'page_title',
  'session_id',
  'language',
  'screen_resolution',
  'engagement_time_msec',
  'debug_mode',
]);
const FIELD_AND_REVENUE_PARAMS: ReadonlySet<string> = new Set([...FIELD_PARAMS, 'value', 'currency']);

/** A purchase's id made from its `transaction_id`; GA keeps one purchase per transaction, and so does Pulse's dedup. */
export const PURCHASE_ID_PREFIX = 'ga4-purchase-';

/** What every event of a GA4 request shares, read once. */
export interface Ga4Scope {
  /** `client_id`, else `app_instance_id` (Firebase), else `user_id`. */
  visitorId: unknown;
  userId: unknown;
  /** The request's `timestamp_micros`, for events without their own. */
  time: ReturnType<typeof ga4Time>;
  /** From the request's `device`, for events whose params have no `language` / `screen_resolution`. */
  lang: string | undefined;
  screenWidth: number | undefined;
  /** `user_properties` as `user.<name>` props, or why they cannot be (then every event is refused for it). */
  userProps: Flattened;
}

/** "1920x1080" → 1920; anything else, or a width Pulse cannot store, is none. */
function widthOfResolution(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{1,6})[xX]\d{1,6}$/.exec(v);
  return m ? screenWidthOf(Number(m[1])) : undefined;
}

/**
 * `user_properties` as sent (`{tier: {value: "gold"}}`) as props `user.tier: "gold"`, flattened and
 * limited like params. A property given as a bare value (`{tier: "gold"}`), which GA ignores, is
 * read as that value; `set_timestamp_micros` is not used (props have no time of their own).
 */
function userPropsOf(v: unknown): Flattened {
  if (v === undefined || v === null) return { props: {} };
  if (!isPlainObject(v)) return { reason: 'invalid_type:user_properties' };
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(v)) {
    const p = v[name];
    setProp(values, name, isPlainObject(p) ? p.value : p);
  }
  return flattenProperties({ user: values });
}

/** The request-level fields of a GA4 body (an object). */
export function ga4Scope(body: Record<string, unknown>): Ga4Scope {
  const userId = idOf(body.user_id);
  const device = isPlainObject(body.device) ? body.device : undefined;
  return {
    visitorId: idOf(body.client_id) ?? idOf(body.app_instance_id) ?? userId,
    userId,
    time: ga4Time(body.timestamp_micros),
    lang: text(device?.language),
    screenWidth: widthOfResolution(device?.screen_resolution),
    userProps: userPropsOf(body.user_properties),
  };
}

/**
 * One GA4 event as a Pulse event (README "GA4 Measurement Protocol ingest" has the table). Only
 * what the event itself gets wrong is refused here; its limits are then `validateEvent`'s, as for
 * any other event.
 */
export function translateGa4Event(ev: unknown, scope: Ga4Scope): Translation {
  if (!isPlainObject(ev)) return { reason: 'not_an_object' };
  const ga4Name = ev.name;
  if (typeof ga4Name === 'string' && GA4_DERIVED_EVENTS.has(ga4Name)) return { ignored: true };
  const params = ev.params ?? {};
  if (!isPlainObject(params)) return { reason: 'invalid_type:params' };
  const own = ga4Time(ev.timestamp_micros);
  const time = own === 'absent' ? scope.time : own;
  if (typeof time === 'string' && time !== 'absent') return { reason: `${time}:timestamp_micros` };
  if ('reason' in scope.userProps) return scope.userProps;

  const name = typeof ga4Name === 'string' ? (NAMES.get(ga4Name) ?? ga4Name) : ga4Name;
  const event: Record<string, unknown> = { name };
  // No skew correction: the protocol has no send time, and its senders are servers, whose clocks are right.
  if (time !== 'absent') event.ts = time;
  if (scope.visitorId !== undefined) event.visitor_id = scope.visitorId;
  if (scope.userId !== undefined) event.user_id = scope.userId;
  const sessionId = idOf(params.session_id);
  if (sessionId !== undefined) event.session_id = sessionId;

  // gtag sends the page with every event, not only page_view: other events carry it as context.
  const url = text(params.page_location);
  if (url !== undefined) event.url = url;
  const referrer = text(params.page_referrer);
  if (referrer !== undefined) event.referrer = referrer;
  const title = text(params.page_title);
  if (title !== undefined) event.title = title;
  const lang = text(params.language) ?? scope.lang;
  if (lang !== undefined) event.lang = lang;
  const width = widthOfResolution(params.screen_resolution) ?? scope.screenWidth;
  if (width !== undefined) event.screen_width = width;

  const sign = typeof ga4Name === 'string' ? REVENUE_SIGN.get(ga4Name) : undefined;
  const withRevenue = sign !== undefined && params.value != null;
  if (withRevenue) {
    const revenue = revenueOf(params.value, params.currency);
    // A refund of 0 stays 0, not -0.
    if (sign === -1 && typeof revenue.amount === 'number' && revenue.amount !== 0) revenue.amount = -Math.abs(revenue.amount);
    event.revenue = revenue;
  }
  if (ga4Name === 'purchase') {
    const transaction = idOf(params.transaction_id);
    if (typeof transaction === 'string' && PURCHASE_ID_PREFIX.length + transaction.length <= MAX_ID_LENGTH) event.id = PURCHASE_ID_PREFIX + transaction;
  }

  const flat = flattenProperties(params, withRevenue ? FIELD_AND_REVENUE_PARAMS : FIELD_PARAMS);
  if ('reason' in flat) return flat;
  const props = flat.props;
  // An event's own param wins over a user property flattened to the same key.
  const userProps = scope.userProps.props;
  for (const key of Object.keys(userProps)) if (!Object.prototype.hasOwnProperty.call(props, key)) setProp(props, key, userProps[key]);
  if (Object.keys(props).length > 0) event.props = props;
  return { event };
}
