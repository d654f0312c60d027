import { SERVER_SDK_USER_AGENT_PREFIX } from '@pulse/protocol';

/** The compatible endpoints, by the name their records' agents carry. */
export type Sender = 'segment' | 'ga4';

/**
 * The user agent a compatible endpoint's record carries. From a browser (analytics.js, a page
 * posting GA4 events itself) it is the visitor's own, kept as for our script. Anything else is a
 * server or app library ("analytics-node-next/latest", "okhttp/…", "python-requests/…"): like our
 * sdk-node's, that agent describes the sender, not the visitor, so it is marked as a server SDK's
 * (`pulse-sdk-<sender> (<agent>)`); the aggregator would otherwise count every such event as a
 * bot's. Agents inside the body (Segment's `context.userAgent`) are not used: a record has one
 * agent for all its events, while each message may claim another.
 */
export function senderUserAgent(sender: Sender, requestUa: string, maxLength: number): string {
  if (/^(Mozilla|Opera)\//.test(requestUa)) return requestUa;
  return `${SERVER_SDK_USER_AGENT_PREFIX}${sender} (${requestUa || 'unknown'})`.slice(0, maxLength);
}
