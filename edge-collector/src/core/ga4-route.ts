import { BodyError } from '@pulse/protocol';
import { decodeBodyAs, rawEventId } from '@pulse/protocol/codec';
import { deadLetterRequest, readGa4Body } from './ga4/body.js';
import { ga4WriteKey, type Ga4Endpoint } from './ga4/endpoints.js';
import { GA4_MAX_BODY_BYTES } from './ga4/rules.js';
import { oversizeBodyMessage, unreadableBodyMessage, validationMessages } from './ga4/validation.js';
import { bodyErrorResponse, errorResponse, json } from './http.js';
import { ingestTranslated, type IngestSteps } from './ingest-steps.js';
import type { CoreRequest, CoreResponse } from './types.js';

/**
 * A GA4 Measurement Protocol request (`/mp/collect`, `/debug/mp/collect`): its events translated
 * to Pulse events (`ga4/`), then the batch route's validation, limits, rate limit, group commit and
 * dead letters, after GA's own rules (`ga4/rules.ts`). GA answers every request 204 and so tells its
 * senders nothing; Pulse answers with the collector's typed errors, and `200 {accepted, ignored, rejected}` once JetStream has
 * acknowledged the events. The debug path checks the key the same way, then answers GA's
 * `{validationMessages}` for what `/mp/collect` would refuse, and publishes nothing.
 */
export async function ga4Request(steps: IngestSteps, req: CoreRequest, endpoint: Ga4Endpoint): Promise<CoreResponse> {
  const refused = steps.refuseBody(req);
  if (refused) return refused;
  const key = ga4WriteKey(req.query, req.headers['authorization']);
  if (key === undefined) {
    return errorResponse(401, 'missing_key', 'put the write key in the api_secret parameter (/mp/collect?api_secret=<key>), or send "Authorization: Bearer <key>"');
  }
  const site = await steps.siteOf(key);
  if ('status' in site) return site;
  // GA takes no body of 130 kB or more (nor does it say so): refused whole, as over 25 events.
  if (req.body.byteLength > GA4_MAX_BODY_BYTES) {
    if (endpoint === 'debug') return json(200, { validationMessages: [oversizeBodyMessage(req.body.byteLength)] });
    return errorResponse(413, 'body_too_large', `a GA4 Measurement Protocol body is smaller than 130kB (at most ${GA4_MAX_BODY_BYTES} bytes), got ${req.body.byteLength}`);
  }
  let body: unknown;
  try {
    // GA reads every body as JSON whatever its Content-Type (curl -d sends a form type), and so does Pulse.
    body = decodeBodyAs(req.body, 'json');
  } catch (e) {
    if (endpoint === 'debug' && e instanceof BodyError && e.status === 400) return json(200, { validationMessages: [unreadableBodyMessage(e)] });
    return bodyErrorResponse(e);
  }
  if (endpoint === 'debug') {
    const { receivedAt, idBase } = steps.receive();
    return json(200, { validationMessages: validationMessages(body, { receivedAt, maxEventAgeMs: steps.maxEventAgeMs, idAt: (i) => rawEventId(idBase, i) }) });
  }
  const started = ingestTranslated(
    steps,
    req,
    key,
    site,
    (o) => readGa4Body(body, o),
    (read) => ({
      accepted: read.accepted,
      rejected: read.rejected,
      ignored: read.ignored.length,
      kept: (i) => read.events[i],
      sender: 'ga4',
      request: read.rejected.length > 0 ? deadLetterRequest(body as Record<string, unknown>) : undefined,
    }),
  );
  // Only counts and the rejection list live across the await.
  body = undefined;
  if ('status' in started) return started;
  const failure = await steps.settle(started);
  if (failure) return failure;
  return json(200, { accepted: started.acceptedCount, ignored: started.ignored, rejected: started.rejected });
}
