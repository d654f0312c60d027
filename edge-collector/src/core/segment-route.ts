import { decodeBodyAs, resolveBodyFormat } from '@pulse/protocol/codec';
import { bodyErrorResponse, errorResponse, json } from './http.js';
import { ingestTranslated, type IngestSteps } from './ingest-steps.js';
import { keyFromQuery } from './query-key.js';
import { deadLetterMessage, readSegmentBody } from './segment/batch.js';
import { basicAuthUser, bodyWriteKey, type SegmentPost } from './segment/endpoints.js';
import type { CoreRequest, CoreResponse } from './types.js';

/** A Segment body decoded: JSON as Segment's clients send it (`text/plain` from analytics.js), msgpack too. */
function decodeSegmentBody(req: CoreRequest): { body: unknown } | CoreResponse {
  try {
    return { body: decodeBodyAs(req.body, resolveBodyFormat(req.body, req.headers['content-type'])) };
  } catch (e) {
    return bodyErrorResponse(e);
  }
}

/** Segment's libraries send the key as the Basic user name; ours (Bearer, `?key=`) work too. */
function segmentKeyOf(req: CoreRequest): string | undefined {
  const auth = req.headers['authorization'];
  if (auth) {
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
    if (bearer) return bearer[1];
    return basicAuthUser(auth) ?? '';
  }
  if (req.query) return keyFromQuery(req.query);
  return undefined;
}

/**
 * A call of Segment's HTTP API: its messages translated to Pulse events (`segment/`), then the
 * batch route's validation, limits, rate limit, group commit and dead letters. Answered `200`
 * (Segment's clients take any 2xx as delivered) once JetStream has acknowledged it.
 */
export async function segmentRequest(steps: IngestSteps, req: CoreRequest, endpoint: SegmentPost): Promise<CoreResponse> {
  // analytics.js's counters about itself (`{series: [...]}`, no key): no site's events. Answered so
  // that the library stays quiet; kept nowhere.
  if (endpoint === 'metrics') return json(200, { success: true });
  const refused = steps.refuseBody(req);
  if (refused) return refused;
  let decoded: { body: unknown } | undefined;
  let key = segmentKeyOf(req);
  if (key === undefined) {
    // analytics.js puts the key in the body (older versions only there: a header costs browsers a CORS preflight).
    const d = decodeSegmentBody(req);
    if ('status' in d) return d;
    decoded = d;
    key = bodyWriteKey(d.body);
  }
  if (key === undefined) {
    return errorResponse(401, 'missing_key', 'send the write key as the HTTP Basic user name, as "writeKey" in the body, as "Authorization: Bearer <key>" or as "?key=<key>"');
  }
  const site = await steps.siteOf(key);
  if ('status' in site) return site;
  if (!decoded) {
    const d = decodeSegmentBody(req);
    if ('status' in d) return d;
    decoded = d;
  }
  const started = ingestTranslated(
    steps,
    req,
    key,
    site,
    (o) => readSegmentBody(decoded?.body, endpoint, o),
    (read) => ({ accepted: read.accepted, rejected: read.rejected, ignored: read.ignored, kept: (i) => deadLetterMessage(read.messages[i]), sender: 'segment' }),
  );
  // Only counts and the rejection list live across the await.
  decoded = undefined;
  if ('status' in started) return started;
  const failure = await steps.settle(started);
  if (failure) return failure;
  return json(200, { success: true, accepted: started.acceptedCount, ignored: started.ignored, rejected: started.rejected });
}
