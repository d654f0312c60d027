import { DEFAULT_MAX_EVENT_AGE_MS, MAX_BODY_BYTES } from '@pulse/protocol';
import { ConfigError } from './errors.js';
import { parseCidr } from './core/ip.js';
import { DEFAULT_DUPLICATE_WINDOW_MS, DEFAULT_STREAM_MAX_AGE_MS } from '@pulse/protocol/streams';

export const DEFAULT_PATH_PREFIX = '';
export const DEFAULT_MAX_BODY_BYTES = MAX_BODY_BYTES;
/** A whole body must arrive within this time (slowloris guard). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
export const DEFAULT_CORS_MAX_AGE_SEC = 86_400;
/** Per write key, in events; 0 turns rate limiting off. */
export const DEFAULT_RATE_LIMIT_EVENTS_PER_SEC = 5_000;
export const DEFAULT_RATE_LIMIT_BURST = 25_000;
export const DEFAULT_RATE_LIMIT_KEYS = 100_000;
export const DEFAULT_KEY_CACHE_MAX = 200_000;
/** Safety net only: the KV watch is what keeps cached keys current. */
export const DEFAULT_KEY_POSITIVE_TTL_MS = 10 * 60_000;
export const DEFAULT_KEY_NEGATIVE_TTL_MS = 2_000;
export const DEFAULT_LINGER_MS = 2;
export const DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024;
export const DEFAULT_MAX_INFLIGHT_PUBLISHES = 32;
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Request bodies held in memory at once, over all connections. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
export const DEFAULT_RETRY_AFTER_SEC = 2;
export const DEFAULT_STREAM_REPLICAS = 1;
export { DEFAULT_STREAM_MAX_AGE_MS, DEFAULT_DUPLICATE_WINDOW_MS };
export const DEFAULT_DRAIN_TIMEOUT_MS = 15_000;

export interface CollectorOptions {
  /** Put in front of every route, e.g. "/pulse" → "/pulse/v1/batch". */
  pathPrefix: string;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  maxEventAgeMs: number;
  corsMaxAgeSec: number;
  /** CIDRs (or single addresses) whose X-Forwarded-For and country header are believed. */
  trustedProxies: string[];
  /** Lower-case header carrying an ISO country code set by a trusted proxy (e.g. "cf-ipcountry"); "" = none. */
  countryHeader: string;
  rateLimitEventsPerSec: number;
  rateLimitBurst: number;
  rateLimitKeys: number;
  keyCacheMax: number;
  keyPositiveTtlMs: number;
  keyNegativeTtlMs: number;
  /** Longest a record waits for company while earlier publishes are in flight. */
  lingerMs: number;
  /** Target size of one JetStream message; capped below the server's max_payload. */
  maxMessageBytes: number;
  maxInFlightPublishes: number;
  /** Bytes waiting for a publish slot; beyond this requests get 503 at once. */
  maxQueuedBytes: number;
  /** Request bodies held in memory at once; beyond it requests get 503 before their body is read. */
  maxBufferedBodyBytes: number;
  publishTimeoutMs: number;
  retryAfterSec: number;
  streamReplicas: number;
  streamMaxAgeMs: number;
  duplicateWindowMs: number;
  drainTimeoutMs: number;
  /** Prefix of Nats-Msg-Id and server-made event ids; unique per process. */
  instanceId: string;
}

export function defaultInstanceId(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new ConfigError(field, message);
}

function int(o: CollectorOptions, field: keyof CollectorOptions, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v = o[field];
  check(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, field, `must be an integer in [${min}, ${max}], got ${String(v)}`);
}

/** Fills defaults and validates every field; throws ConfigError naming the first bad one. */
export function resolveOptions(partial: Partial<CollectorOptions> = {}): CollectorOptions {
  const o: CollectorOptions = {
    pathPrefix: DEFAULT_PATH_PREFIX,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
    maxEventAgeMs: DEFAULT_MAX_EVENT_AGE_MS,
    corsMaxAgeSec: DEFAULT_CORS_MAX_AGE_SEC,
    trustedProxies: [],
    countryHeader: '',
    rateLimitEventsPerSec: DEFAULT_RATE_LIMIT_EVENTS_PER_SEC,
    rateLimitBurst: DEFAULT_RATE_LIMIT_BURST,
    rateLimitKeys: DEFAULT_RATE_LIMIT_KEYS,
    keyCacheMax: DEFAULT_KEY_CACHE_MAX,
    keyPositiveTtlMs: DEFAULT_KEY_POSITIVE_TTL_MS,
    keyNegativeTtlMs: DEFAULT_KEY_NEGATIVE_TTL_MS,
    lingerMs: DEFAULT_LINGER_MS,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    maxInFlightPublishes: DEFAULT_MAX_INFLIGHT_PUBLISHES,
    maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
    maxBufferedBodyBytes: DEFAULT_MAX_BUFFERED_BODY_BYTES,
    publishTimeoutMs: DEFAULT_PUBLISH_TIMEOUT_MS,
    retryAfterSec: DEFAULT_RETRY_AFTER_SEC,
    streamReplicas: DEFAULT_STREAM_REPLICAS,
    streamMaxAgeMs: DEFAULT_STREAM_MAX_AGE_MS,
    duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
    drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
    instanceId: '',
    ...stripUndefined(partial),
  };
  check(typeof o.instanceId === 'string' && /^[A-Za-z0-9_-]{0,47}$/.test(o.instanceId), 'instanceId', 'must be at most 47 chars of [A-Za-z0-9_-]');
  // The id prefixes Nats-Msg-Ids and server-made event ids, so it must never repeat across process
  // starts: a restarted process reusing ids within JetStream's duplicate window would have new
  // messages dropped as duplicates after their PubAck. A name given by hand gets a random suffix.
  o.instanceId = o.instanceId ? `${o.instanceId}-${defaultInstanceId()}` : defaultInstanceId();

  check(typeof o.pathPrefix === 'string' && (o.pathPrefix === '' || /^\/[A-Za-z0-9._~\-/]*[^/]$/.test(o.pathPrefix)), 'pathPrefix', `must be "" or start with "/" and not end with "/", got ${JSON.stringify(o.pathPrefix)}`);
  int(o, 'maxBodyBytes', 1024, 64 * 1024 * 1024);
  int(o, 'bodyTimeoutMs', 100);
  int(o, 'maxEventAgeMs', 60_000);
  int(o, 'corsMaxAgeSec', 0);
  check(Array.isArray(o.trustedProxies), 'trustedProxies', 'must be an array of CIDRs');
  for (const c of o.trustedProxies) check(parseCidr(c) !== undefined, 'trustedProxies', `not an address or CIDR: ${JSON.stringify(c)}`);
  check(typeof o.countryHeader === 'string' && /^[a-z0-9-]*$/.test(o.countryHeader), 'countryHeader', 'must be a lower-case header name or ""');
  int(o, 'rateLimitEventsPerSec', 0);
  int(o, 'rateLimitBurst', 0);
  check(o.rateLimitEventsPerSec === 0 || o.rateLimitBurst >= 1, 'rateLimitBurst', 'must be ≥ 1 when rate limiting is on');
  int(o, 'rateLimitKeys', 1);
  int(o, 'keyCacheMax', 1);
  int(o, 'keyPositiveTtlMs', 1_000);
  int(o, 'keyNegativeTtlMs', 1);
  int(o, 'lingerMs', 0, 1_000);
  int(o, 'maxMessageBytes', 4 * 1024, 64 * 1024 * 1024);
  int(o, 'maxInFlightPublishes', 1, 10_000);
  int(o, 'maxQueuedBytes', 1024);
  int(o, 'maxBufferedBodyBytes', 1024);
  check(o.maxBufferedBodyBytes >= o.maxBodyBytes, 'maxBufferedBodyBytes', 'must be at least maxBodyBytes');
  int(o, 'publishTimeoutMs', 100);
  int(o, 'retryAfterSec', 1, 3600);
  int(o, 'streamReplicas', 1, 5);
  int(o, 'streamMaxAgeMs', 60_000);
  int(o, 'duplicateWindowMs', 1_000);
  int(o, 'drainTimeoutMs', 0);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
