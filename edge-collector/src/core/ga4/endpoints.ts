import { queryParam } from '../query-key.js';

/** What a GA4 path takes: events to store, or events to check (the validation server's path). */
export type Ga4Endpoint = 'collect' | 'debug';

/**
 * The GA4 Measurement Protocol routes under a path prefix: GA's own paths, so that a sender only
 * changes its host. A trailing slash is taken too (hand-written clients add one).
 */
export function ga4Routes(pathPrefix: string): Map<string, Ga4Endpoint> {
  const routes = new Map<string, Ga4Endpoint>();
  for (const [path, endpoint] of [
    ['/mp/collect', 'collect'],
    ['/debug/mp/collect', 'debug'],
  ] as const) {
    routes.set(`${pathPrefix}${path}`, endpoint);
    routes.set(`${pathPrefix}${path}/`, endpoint);
  }
  return routes;
}

/**
 * The write key of a GA4 request: `api_secret`, where GA's senders put their stream's secret
 * (merchants put their Pulse write key there), else our own `Authorization: Bearer` or `?key=`.
 * '' when an Authorization header is not Bearer (refused as an invalid key); undefined when
 * there is none at all.
 */
export function ga4WriteKey(query: string, authorization: string | undefined): string | undefined {
  const secret = queryParam(query, 'api_secret');
  if (secret !== undefined) return secret;
  if (authorization) return /^\s*bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? '';
  return queryParam(query, 'key');
}
