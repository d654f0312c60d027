import { isPlainObject } from '@pulse/protocol';

export type SegmentType = 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';
/** What a Segment path takes: a batch, or one message of a type. */
export type SegmentEndpoint = 'batch' | SegmentType;

/**
 * Path names under `/v1/` as Segment's clients call them: the HTTP API's, analytics.js's one-letter
 * forms (`/v1/t`, … and `/v1/b` when it batches) and `/v1/import`, the API's older batch name.
 */
const PATHS: ReadonlyArray<readonly [string, SegmentEndpoint]> = [
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
];

/** The Segment-compatible routes under a path prefix, with and without a trailing slash (hand-written clients add one). */
export function segmentRoutes(pathPrefix: string): Map<string, SegmentEndpoint> {
  const routes = new Map<string, SegmentEndpoint>();
  for (const [name, endpoint] of PATHS) {
    routes.set(`${pathPrefix}/segment/v1/${name}`, endpoint);
    routes.set(`${pathPrefix}/segment/v1/${name}/`, endpoint);
  }
  return routes;
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
