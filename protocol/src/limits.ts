/** Limits of the ingest contract (DESIGN.md). SDKs, collector and aggregator all read these. */
export const MAX_EVENTS_PER_BATCH = 500;
export const MAX_BODY_BYTES = 512 * 1024;
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_PROPS = 64;
export const MAX_PROP_KEY_LENGTH = 64;
export const MAX_STRING_LENGTH = 1024;
/** Client event ids are dedup keys; anything longer than a UUID-ish token is a client bug. */
export const MAX_ID_LENGTH = 128;
export const MAX_SCREEN_WIDTH = 100_000;

/** Accepted event time window, after clock-skew correction. */
export const DEFAULT_MAX_EVENT_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_EVENT_FUTURE_MS = 5 * 60 * 1000;

/** Name of the event that counts as a page view; it needs `url`. */
export const PAGEVIEW = 'pageview';

/**
 * User agents of our server SDKs start with this ("pulse-sdk-node/0.1.0 …"). Their requests
 * come from merchants' servers, so the user agent says nothing about the visitor and is not
 * a reason to flag the event as a bot.
 */
export const SERVER_SDK_USER_AGENT_PREFIX = 'pulse-sdk-';
