import { errorResponse, json } from './http.js';
import type { IngestSteps } from './ingest-steps.js';
import type { PublicOrigin } from './public-origin.js';
import { SEGMENT_API_PATH } from './segment/endpoints.js';
import { segmentSettings } from './segment/settings.js';
import type { CoreResponse } from './types.js';

/**
 * How long browsers and CDNs may keep a site's settings. analytics.js fetches them on every page
 * load; they change only when the collector moves, and a key revoked meanwhile is refused where the
 * events arrive.
 */
export const SETTINGS_MAX_AGE_SEC = 300;

/**
 * analytics.js's source settings (`GET <prefix>/segment/v1/projects/<key>/settings`): its calls
 * pointed at this collector's Segment endpoints, at the origin the request came to. A malformed,
 * unknown or revoked key gets the ingest routes' `401 invalid_key` (analytics.js treats any
 * non-2xx alike: it logs the body and does not load), a registry outage their `503`.
 */
export async function segmentSettingsRequest(steps: IngestSteps, key: string, origin: PublicOrigin | undefined, pathPrefix: string): Promise<CoreResponse> {
  const site = await steps.siteOf(key);
  if ('status' in site) return site;
  if (origin === undefined) return errorResponse(400, 'invalid_host', 'the request has no usable Host header to point analytics.js at');
  const body = segmentSettings(key, { protocol: origin.protocol, apiHost: `${origin.host}${pathPrefix}${SEGMENT_API_PATH}` });
  return json(200, body, {
    'cache-control': `public, max-age=${SETTINGS_MAX_AGE_SEC}`,
    // The answer names the origin it was asked at: caches must not hand it to requests for another.
    vary: 'Host, X-Forwarded-Host, X-Forwarded-Proto',
  });
}
