import { PAGEVIEW, correctTimestamp, isPlainObject } from '@pulse/protocol';
import { idOf, revenueOf, screenWidthOf, text } from '../compat/fields.js';
import { SCREENVIEW } from '../compat/names.js';
import { flattenProperties, setProp } from '../compat/props.js';
import type { Translation } from '../compat/translated.js';
import type { SegmentType } from './endpoints.js';
import { segmentTime } from './timestamp.js';

/** Segment's e-commerce spec: revenue without a currency is in US dollars. */
export const DEFAULT_CURRENCY = 'USD';

const TYPES: ReadonlySet<string> = new Set<SegmentType>(['track', 'page', 'screen', 'identify', 'group', 'alias']);
/** Calls that describe people, not something that happened: Pulse has no event for them. */
const IGNORED: ReadonlySet<string> = new Set<SegmentType>(['identify', 'group', 'alias']);
/** A page's properties that become the pageview's url, referrer and title, not props. */
const PAGE_PROPERTIES: ReadonlySet<string> = new Set(['url', 'referrer', 'title', 'path', 'search']);

export interface MessageScope {
  /** The body's `context`: each message's own fields win, field by field. */
  batchContext: Record<string, unknown> | undefined;
  /** The body's `sentAt` (ms), for messages without their own. */
  sentAt: number | undefined;
  receivedAt: number;
}

function objectOr(v: unknown): Record<string, unknown> | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** A path (and query) as a pageview url, for server-side page calls that only know the path. */
function pathUrl(path: string | undefined, search: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (search === undefined) return path;
  return search.startsWith('?') ? path + search : `${path}?${search}`;
}

/**
 * One Segment message as a Pulse event (README "Segment-compatible ingest" has the table).
 * `pathType` is the type a single-message path (`/v1/track`, …) gives; batches use the message's.
 * Only what the message itself gets wrong is refused here; the event's limits are then
 * `validateEvent`'s, as for any other event.
 */
export function translateMessage(msg: unknown, pathType: SegmentType | undefined, scope: MessageScope): Translation {
  if (!isPlainObject(msg)) return { reason: 'not_an_object' };
  const type = pathType ?? msg.type;
  if (type === undefined || type === null) return { reason: 'missing_type' };
  if (typeof type !== 'string') return { reason: 'invalid_type:type' };
  if (!TYPES.has(type)) return { reason: 'invalid_value:type' };
  if (IGNORED.has(type)) return { ignored: true };

  const timeField = msg.timestamp != null ? 'timestamp' : 'originalTimestamp';
  const time = segmentTime(msg[timeField]);
  if (time === 'invalid') return { reason: `${typeof msg[timeField] === 'string' ? 'invalid_value' : 'invalid_type'}:${timeField}` };
  const ownSentAt = segmentTime(msg.sentAt);
  if (ownSentAt === 'invalid') return { reason: `${typeof msg.sentAt === 'string' ? 'invalid_value' : 'invalid_type'}:sentAt` };

  const properties = msg.properties ?? {};
  if (!isPlainObject(properties)) return { reason: 'invalid_type:properties' };

  const ctx = objectOr(msg.context);
  const batchCtx = scope.batchContext;
  const pageCtx = objectOr(ctx?.page);
  const batchPageCtx = objectOr(batchCtx?.page);
  const page = (field: string): string | undefined => text(pageCtx?.[field] ?? batchPageCtx?.[field]);

  const event: Record<string, unknown> = { name: type === 'track' ? msg.event : type === 'page' ? PAGEVIEW : SCREENVIEW };
  const id = idOf(msg.messageId);
  if (id !== undefined) event.id = id;
  // Corrected here with each message's own sentAt (a single-message body has its own); the batch
  // then goes to validation without one, so the correction is the same function's, applied once.
  const sentAt = ownSentAt === 'absent' ? scope.sentAt : ownSentAt;
  if (time !== 'absent') event.ts = correctTimestamp(time, sentAt, scope.receivedAt);

  const userId = idOf(msg.userId);
  const visitorId = idOf(msg.anonymousId) ?? userId;
  if (visitorId !== undefined) event.visitor_id = visitorId;
  if (userId !== undefined) event.user_id = userId;

  let omit: Set<string> | undefined;
  if (type === 'page') {
    omit = new Set(PAGE_PROPERTIES);
    const url = text(properties.url) ?? page('url') ?? pathUrl(text(properties.path) ?? page('path'), text(properties.search) ?? page('search'));
    if (url !== undefined) event.url = url;
    const referrer = text(properties.referrer) ?? page('referrer');
    if (referrer !== undefined) event.referrer = referrer;
    const title = text(properties.title) ?? page('title');
    if (title !== undefined) event.title = title;
  } else {
    // analytics.js sends the page an event happened on with every call: Pulse's events carry it too.
    const url = page('url');
    if (url !== undefined) event.url = url;
    const referrer = page('referrer');
    if (referrer !== undefined) event.referrer = referrer;
    const title = page('title');
    if (title !== undefined) event.title = title;
  }

  const lang = text(ctx?.locale ?? batchCtx?.locale);
  if (lang !== undefined) event.lang = lang;
  const width = screenWidthOf(objectOr(ctx?.screen)?.width ?? objectOr(batchCtx?.screen)?.width);
  if (width !== undefined) event.screen_width = width;

  const revenueKey = properties.revenue != null ? 'revenue' : properties.total != null ? 'total' : undefined;
  if (revenueKey !== undefined) {
    event.revenue = revenueOf(properties[revenueKey], properties.currency ?? DEFAULT_CURRENCY);
    omit ??= new Set();
    omit.add(revenueKey).add('currency');
  }

  const flat = flattenProperties(properties, omit);
  if ('reason' in flat) return flat;
  const props = flat.props;
  if (type !== 'track') {
    // The page or screen name and category are call arguments, not properties, in Segment's API.
    if (msg.name != null) setProp(props, 'name', msg.name);
    if (msg.category != null) setProp(props, 'category', msg.category);
  }
  if (Object.keys(props).length > 0) event.props = props;
  return { event };
}
