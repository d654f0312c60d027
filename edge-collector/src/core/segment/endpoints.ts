import { isPlainObject } from '@pulse/protocol';

export type SegmentType = 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';
/** What a Segment path takes: a batch, or one message of a type. */
export type SegmentEndpoint = 'batch' | SegmentType;
/** A POST route of the Segment API: an endpoint, or `metrics`, analytics.js's own usage counters (`/v1/m`). */
export type SegmentPost = SegmentEndpoint | 'metrics';

/** Where the Segment API lives under the collector's path prefix (analytics.js's `apiHost` ends with it). */
export const SEGMENT_API_PATH = '/segment/v1';

/**
 * Path names under `/v1/` as Segment's clients call them: the HTTP API's, analytics.js's one-letter
 * forms (`/v1/t`, … and `/v1/b` when it batches) and `/v1/import`, the API's older batch name.
 */
const PATHS: ReadonlyArray<readonly [string, SegmentPost]> = [
  ['batch', 'batch'],
  ['b', 'batch'],
  ['import', 'batch'],
  ['track', 'track'],
  ['t', 'track'],
  ['page', 'page'],
  ['p', 'page'],
  ['screen', 'screen'],
  ['s', 'screen'],
  ['identify', 'identify'],
  ['i', 'identify'],
  ['group', 'group'],
  ['g', 'group'],
  ['alias', 'alias'],
  ['a', 'alias'],
  ['m', 'metrics'],
];

/** The Segment-compatible routes under a path prefix, with and without a trailing slash (hand-written clients add one). */
export function segmentRoutes(pathPrefix: string): Map<string, SegmentPost> {
  const routes = new Map<string, SegmentPost>();
  for (const [name, endpoint] of PATHS) {
    routes.set(`${pathPrefix}${SEGMENT_API_PATH}/${name}`, endpoint);
    routes.set(`${pathPrefix}${SEGMENT_API_PATH}/${name}/`, endpoint);
  }
  return routes;
}

const SETTINGS_HEAD = `${SEGMENT_API_PATH}/projects/`;
const SETTINGS_TAIL = '/settings';

/**
 * The write key of a settings path, `<prefix>/segment/v1/projects/<key>/settings`: what
 * analytics.js fetches from `${cdnURL}/v1/projects/<key>/settings` when its `cdnURL` is
 * `<collector><prefix>/segment`. Undefined for any other path. The key is checked by the lookup.
 */
export function settingsWriteKey(path: string, pathPrefix: string): string | undefined {
  const start = pathPrefix.length + SETTINGS_HEAD.length;
  const end = path.length - SETTINGS_TAIL.length;
  if (end < start || !path.startsWith(pathPrefix) || !path.startsWith(SETTINGS_HEAD, pathPrefix.length) || !path.endsWith(SETTINGS_TAIL)) return undefined;
  const key = path.slice(start, end);
  return key.includes('/') ? undefined : key;
}

/**
 * The user name of an `Authorization: Basic` header (Segment's server libraries send the write
 * key there with an empty password); '' when the credentials cannot be read, undefined when the
 * header is not Basic.
 */
export function basicAuthUser(header: string): string | undefined {
  const m = /^\s*basic(?:\s+(.*?))?\s*$/i.exec(header);
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = atob(m[1] ?? '');
  } catch {
    return '';
  }
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/** The `writeKey` analytics.js puts in the body, where a browser cannot set headers without a preflight. */
export function bodyWriteKey(body: unknown): string | undefined {
  if (!isPlainObject(body)) return undefined;
  return typeof body.writeKey === 'string' ? body.writeKey : undefined;
}
