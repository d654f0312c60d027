import { validateBatch, type AcceptedEvent, type BatchReply, type RawBodyFormat, type RawStreamRecord, type Rejection, type StreamRecord, type WriteKeyRecord } from '@pulse/protocol';
import { decodeBodyAs, rawEventId, resolveBodyFormat, scanMsgpackBatch } from '@pulse/protocol/codec';
import type { CollectorOptions } from '../config.js';
import { DrainingError, KeyLookupError, RecordTooLargeError, StreamUnavailableError } from '../errors.js';
import { senderUserAgent } from './compat/user-agent.js';
import { ga4Request } from './ga4-route.js';
import { ga4Routes, type Ga4Endpoint } from './ga4/endpoints.js';
import { bodyErrorResponse, corsHeaders, errorResponse, json, JSON_CONTENT_TYPE } from './http.js';
import type { EventsToPublish, Ingested, IngestSteps } from './ingest-steps.js';
import { TrustedProxies } from './ip.js';
import type { CollectorMetrics, Tally } from './metrics.js';
import { keyFromQuery } from './query-key.js';
import { RateLimiter } from './rate-limit.js';
import { publicOrigin } from './public-origin.js';
import { segmentRequest } from './segment-route.js';
import { segmentSettingsRequest } from './segment-settings-route.js';
import { basicAuthUser, segmentRoutes, settingsWriteKey, type SegmentPost } from './segment/endpoints.js';
import type { CoreRequest, CoreResponse, DeadLetter, DeadLetterItem, EventSink, Logger, Readiness, WriteKeyLookup } from './types.js';

/** Shape of a write key (DESIGN: `wk_` + base62); anything else is refused without a registry lookup. */
export const WRITE_KEY_PATTERN = /^wk_[A-Za-z0-9]{16,64}$/;
export const MAX_USER_AGENT_LENGTH = 512;
/** Distinct peer addresses whose parsed form is remembered; the map is cleared when full. */
export const CLIENT_IP_CACHE_MAX = 4096;

export interface CoreDeps {
  options: CollectorOptions;
  keys: WriteKeyLookup;
  sink: EventSink;
  readiness: () => Readiness;
  metrics: CollectorMetrics;
  /**
   * Browser SDK builds by file name ("script.js", "script.full.js", …), each served at
   * `<prefix>/<name>`; none = 404.
   */
  scripts?: ReadonlyMap<string, Uint8Array>;
  /** Told the events each key was let through, for the other collectors' limiters (`chargeRateLimit` hears theirs). */
  usage?: { record(key: string, events: number): void };
  now?: () => number;
  log?: Logger;
}

type Route = 'batch' | 'segment' | 'segment_settings' | 'ga4' | 'script' | 'healthz' | 'readyz' | 'metrics' | 'preflight' | 'other';

/** A path of another analytics API taken by a compatible endpoint (Segment's HTTP API, GA4's Measurement Protocol). */
type CompatRoute = { route: 'segment'; endpoint: SegmentPost } | { route: 'ga4'; endpoint: Ga4Endpoint };

function compatRoutes(pathPrefix: string): Map<string, CompatRoute> {
  const routes = new Map<string, CompatRoute>();
  for (const [path, endpoint] of segmentRoutes(pathPrefix)) routes.set(path, { route: 'segment', endpoint });
  for (const [path, endpoint] of ga4Routes(pathPrefix)) routes.set(path, { route: 'ga4', endpoint });
  return routes;
}

/** The runtime-neutral collector: a request snapshot in, a response out. Adapters only move bytes. */
export class CollectorCore {
  private readonly o: CollectorOptions;
  private readonly proxies: TrustedProxies;
  private readonly limiter: RateLimiter;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly routes: Map<string, Route>;
  /** Consulted only when `routes` has no answer, so Pulse's own routes cost what they did. */
  private readonly compatRoutes: Map<string, CompatRoute>;
  /** The batch route's steps, for the compatible endpoints' handlers. */
  private readonly steps: IngestSteps;
  /** Requests seen; with the instance id it names each request's generated event ids. */
  private requestSeq = 0;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  private drainingFlag = false;
  private bufferedBodyBytes = 0;
  private readonly cors: Record<string, string>;
  private readonly corsPreflight: Record<string, string>;
  /** The headers of every batch `202` without rejections, CORS included: shared and frozen (see `CoreResponse.headers`). */
  private readonly acceptedHeaders: Readonly<Record<string, string>>;
  /** `requests_total` tallies by route, then status. */
  private readonly requestCounters = new Map<Route, Map<number, Tally>>();
  private readonly acceptedEvents: Tally;
  private readonly rejectedEvents: Tally;
  private readonly ignoredEvents: Tally;
  private readonly scannedBodies: Tally;
  private readonly decodedBodies: Tally;
  /**
   * Peer address → client address, for the cases where X-Forwarded-For does not count
   * (no trusted proxies, or none sent); parsing and formatting addresses showed in profiles.
   */
  private readonly clientIps = new Map<string, { ip: string; viaTrustedProxy: boolean }>();

  constructor(private readonly deps: CoreDeps) {
    this.o = deps.options;
    this.proxies = new TrustedProxies(this.o.trustedProxies);
    this.limiter = new RateLimiter(this.o.rateLimitEventsPerSec, this.o.rateLimitBurst, this.o.rateLimitKeys);
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
    this.cors = corsHeaders(this.o.corsMaxAgeSec, false);
    this.corsPreflight = corsHeaders(this.o.corsMaxAgeSec, true);
    this.acceptedHeaders = Object.freeze({ 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store', ...this.cors });
    this.acceptedEvents = deps.metrics.tally(deps.metrics.events, { outcome: 'accepted' });
    this.rejectedEvents = deps.metrics.tally(deps.metrics.events, { outcome: 'rejected' });
    this.ignoredEvents = deps.metrics.tally(deps.metrics.events, { outcome: 'ignored' });
    this.scannedBodies = deps.metrics.tally(deps.metrics.bodyReads, { read: 'scan' });
    this.decodedBodies = deps.metrics.tally(deps.metrics.bodyReads, { read: 'decode' });
    deps.metrics.probes.inflightRequests = () => this.inflight;
    const p = this.o.pathPrefix;
    // The prefix is for what merchants proxy under their own domain; probes and scrapers keep
    // finding the operations routes at the root as well.
    const ops = (prefix: string): [string, Route][] => [
      [`${prefix}/healthz`, 'healthz'],
      [`${prefix}/readyz`, 'readyz'],
      [`${prefix}/metrics`, 'metrics'],
    ];
    this.routes = new Map<string, Route>([
      [`${p}/v1/batch`, 'batch'],
      [`${p}/script.js`, 'script'],
      ...[...(deps.scripts?.keys() ?? [])].map((name): [string, Route] => [`${p}/${name}`, 'script']),
      ...ops(''),
      ...ops(p),
    ]);
    this.compatRoutes = compatRoutes(p);
    this.steps = {
      maxEventAgeMs: this.o.maxEventAgeMs,
      refuseBody: (req) => this.refuseBody(req),
      siteOf: (key) => this.siteOf(key),
      receive: () => ({ receivedAt: this.now(), idBase: this.nextIdBase() }),
      publish: (req, key, site, events) => this.publishEvents(req, key, site, events),
      settle: (ingested) => this.settle(ingested),
    };
  }

  get draining(): boolean {
    return this.drainingFlag;
  }

  get maxBodyBytes(): number {
    return this.o.maxBodyBytes;
  }

  get bodyTimeoutMs(): number {
    return this.o.bodyTimeoutMs;
  }

  /** From now on batches get 503 and readiness fails; requests already inside finish. */
  beginDrain(): void {
    this.drainingFlag = true;
  }

  /** Resolves once no request is being handled. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether a path takes a batch, ours, Segment's or GA4's (adapters stream and cap only those bodies). */
  isBatchPath(path: string): boolean {
    const route = this.routes.get(path);
    return route === 'batch' || (route === undefined && this.compatRoutes.has(path));
  }

  /**
   * Bodies held in memory across all connections are bounded: adapters reserve
   * each chunk before keeping it and release the total once they have answered.
   * False = over budget; answer early('overloaded').
   */
  reserveBody(bytes: number): boolean {
    if (this.bufferedBodyBytes + bytes > this.o.maxBufferedBodyBytes) return false;
    this.bufferedBodyBytes += bytes;
    return true;
  }

  releaseBody(bytes: number): void {
    this.bufferedBodyBytes -= bytes;
  }

  /** Answers adapters give before the core sees a request: body over the cap, too slow, or no memory left for it. */
  early(kind: 'too_large' | 'timeout' | 'overloaded'): CoreResponse {
    const res =
      kind === 'too_large'
        ? errorResponse(413, 'body_too_large', `the body limit is ${this.o.maxBodyBytes} bytes`)
        : kind === 'timeout'
          ? errorResponse(408, 'body_timeout', `the body did not arrive within ${this.o.bodyTimeoutMs} ms`)
          : errorResponse(503, 'overloaded', 'the collector is overloaded; retry later', { 'retry-after': String(this.o.retryAfterSec) });
    // Closing on a client still sending makes the kernel reset the connection,
    // which destroys the answer before the client reads it; so only a stalled
    // body closes. Otherwise the runtime discards the rest of the body.
    if (kind === 'timeout') res.close = true;
    return this.finish('batch', res);
  }

  async handle(req: CoreRequest): Promise<CoreResponse> {
    this.inflight++;
    let route: Route = 'other';
    try {
      if (req.method === 'OPTIONS') {
        route = 'preflight';
        return this.finish(route, { status: 204, headers: {}, body: '' });
      }
      route = this.routes.get(req.path) ?? 'other';
      let compat: CompatRoute | undefined;
      if (route === 'other') {
        compat = this.compatRoutes.get(req.path);
        if (compat !== undefined) route = compat.route;
        else if (settingsWriteKey(req.path, this.o.pathPrefix) !== undefined) route = 'segment_settings';
        else return this.finish(route, errorResponse(404, 'not_found', 'no such route'));
      }
      const wanted = route === 'batch' || compat !== undefined ? 'POST' : 'GET';
      // HEAD is GET without the body (CDNs and uptime checks send it).
      const head = req.method === 'HEAD' && wanted === 'GET';
      if (req.method !== wanted && !head) {
        const allow = wanted === 'GET' ? 'GET, HEAD, OPTIONS' : 'POST, OPTIONS';
        return this.finish(route, errorResponse(405, 'method_not_allowed', `use ${wanted}`, { allow }));
      }
      if (head) return this.finish(route, { ...(await this.get(route, req)), headOnly: true });
      if (route === 'batch') return this.finish(route, await this.batch(req));
      if (compat !== undefined) {
        const res = compat.route === 'segment' ? await segmentRequest(this.steps, req, compat.endpoint) : await ga4Request(this.steps, req, compat.endpoint);
        return this.finish(route, res);
      }
      return this.finish(route, await this.get(route, req));
    } catch (e) {
      this.log('error', 'request failed', { route, err: String((e as Error)?.stack ?? e) });
      return this.finish(route, errorResponse(500, 'internal', 'internal error'));
    } finally {
      this.inflight--;
      if (this.inflight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /** The answer of a GET route. */
  private async get(route: Route, req: CoreRequest): Promise<CoreResponse> {
    switch (route) {
      case 'healthz':
        return json(200, { status: 'ok' });
      case 'readyz':
        return this.readyz();
      case 'metrics':
        return { status: 200, headers: { 'content-type': this.deps.metrics.registry.contentType }, body: await this.deps.metrics.registry.metrics() };
      case 'script':
        return this.script(req.path);
      case 'segment_settings':
        return this.segmentSettings(req);
      default:
        return errorResponse(404, 'not_found', 'no such route');
    }
  }

  private finish(route: Route, res: CoreResponse): CoreResponse {
    // A frozen record is shared and already complete.
    if (!Object.isFrozen(res.headers)) Object.assign(res.headers, route === 'preflight' ? this.corsPreflight : this.cors);
    if (this.drainingFlag) res.close = true;
    this.requestCounter(route, res.status).value++;
    return res;
  }

  private requestCounter(route: Route, status: number): Tally {
    let byStatus = this.requestCounters.get(route);
    if (!byStatus) this.requestCounters.set(route, (byStatus = new Map()));
    let c = byStatus.get(status);
    if (!c) byStatus.set(status, (c = this.deps.metrics.tally(this.deps.metrics.requests, { route, status: String(status) })));
    return c;
  }

  private readyz(): CoreResponse {
    if (this.drainingFlag) return errorResponse(503, 'draining', 'the collector is shutting down');
    const r = this.deps.readiness();
    return r.ready ? json(200, { status: 'ready' }) : errorResponse(503, 'not_ready', r.reason ?? 'not ready');
  }

  private script(path: string): CoreResponse {
    const s = this.deps.scripts?.get(path.slice(path.lastIndexOf('/') + 1));
    if (!s) return errorResponse(404, 'not_found', 'no browser script is configured on this collector');
    return { status: 200, headers: { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }, body: s };
  }

  /** analytics.js's settings, naming the origin the request came to (forwarded headers from trusted proxies only). */
  private segmentSettings(req: CoreRequest): Promise<CoreResponse> {
    const key = settingsWriteKey(req.path, this.o.pathPrefix) ?? '';
    const origin = publicOrigin(req.headers, this.clientIp(req.remoteAddress, undefined).viaTrustedProxy);
    return segmentSettingsRequest(this.steps, key, origin, this.o.pathPrefix);
  }

  private unavailable(code: string, message: string): CoreResponse {
    return errorResponse(503, code, message, { 'retry-after': String(this.o.retryAfterSec) });
  }

  private writeKeyOf(req: CoreRequest): string | undefined {
    const auth = req.headers['authorization'];
    if (auth) {
      const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
      return m ? m[1] : '';
    }
    if (req.query) return keyFromQuery(req.query);
    return undefined;
  }

  /** What refuses a batch body before it is read: draining, its size, a compression. */
  private refuseBody(req: CoreRequest): CoreResponse | undefined {
    if (this.drainingFlag) return this.unavailable('draining', new DrainingError().message);
    if (req.body.byteLength > this.o.maxBodyBytes) return errorResponse(413, 'body_too_large', `the body limit is ${this.o.maxBodyBytes} bytes`);
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    // A compressed body would fail as garbage with a misleading reason; say what is wrong.
    if (encoding && encoding !== 'identity') {
      return errorResponse(415, 'unsupported_content_encoding', `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed`);
    }
    return undefined;
  }

  /** A Segment library pointed at the collector's root sends its Basic credentials here: say where they belong. */
  private invalidKeyMessage(req: CoreRequest): string {
    if (basicAuthUser(req.headers['authorization'] ?? '') === undefined) return 'unknown or revoked write key';
    const path = `${this.o.pathPrefix}/segment/v1/batch`;
    return `unknown or revoked write key; "Authorization: Basic" is how Segment's libraries send theirs: post their batches to ${path} (@segment/analytics-node: path: "${path}")`;
  }

  private async batch(req: CoreRequest): Promise<CoreResponse> {
    const refused = this.refuseBody(req);
    if (refused) return refused;
    const key = this.writeKeyOf(req);
    if (key === undefined) return errorResponse(401, 'missing_key', 'send the write key as "Authorization: Bearer <key>" or "?key=<key>"');
    if (!WRITE_KEY_PATTERN.test(key)) return errorResponse(401, 'invalid_key', this.invalidKeyMessage(req));
    let site;
    try {
      site = await this.deps.keys.lookup(key);
    } catch (e) {
      if (e instanceof KeyLookupError) return this.unavailable('key_registry_unavailable', 'the key registry is unreachable; retry later');
      throw e;
    }
    if (!site) return errorResponse(401, 'invalid_key', 'unknown or revoked write key');

    const started = this.ingest(req, key, site);
    if ('status' in started) return started;
    // Only counts and the (small) rejection list live across the await: decoded
    // bodies are garbage as soon as their records are encoded.
    const { pending, acceptedCount, rejected } = started;
    const failure = await pending;
    if (failure) return failure;
    this.acceptedEvents.value += acceptedCount;
    this.rejectedEvents.value += rejected.length;
    if (rejected.length === 0) return { status: 202, headers: this.acceptedHeaders, body: `{"accepted":${acceptedCount},"rejected":[]}` };
    const reply: BatchReply = { accepted: acceptedCount, rejected };
    return json(202, reply);
  }

  /** Decode, validate, limit, enrich and hand to the sink; synchronous so nothing large outlives it. */
  private ingest(req: CoreRequest, key: string, site: WriteKeyRecord): CoreResponse | Ingested {
    const receivedAt = this.now();
    // Ids of events sent without one: `<id_base>.<index>`, so that a raw record expands to the same ids.
    const idBase = this.nextIdBase();
    const idAt = (i: number): string => rawEventId(idBase, i);
    let format: RawBodyFormat;
    let raw: unknown;
    let accepted: AcceptedEvent[];
    let rejected: Rejection[];
    try {
      format = resolveBodyFormat(req.body, req.headers['content-type']);
      // An SDK batch the scan vouches for is forwarded without building its events (the decode
      // was half of a batch request's CPU); anything it cannot vouch for takes the full path.
      if (format === 'msgpack') {
        const n = scanMsgpackBatch(req.body, { receivedAt, maxEventAgeMs: this.o.maxEventAgeMs, idLength: (i) => idAt(i).length });
        if (n !== undefined && n > 0) {
          this.scannedBodies.value++;
          return this.forwardWhole(req, key, site, { format, receivedAt, idBase, count: n });
        }
      }
      this.decodedBodies.value++;
      raw = decodeBodyAs(req.body, format);
      ({ accepted, rejected } = validateBatch(raw, { receivedAt, maxEventAgeMs: this.o.maxEventAgeMs, idAt }));
    } catch (e) {
      return bodyErrorResponse(e);
    }

    // The common case, every event accepted: the stream gets the body as it came (the aggregator
    // validates it again, identically) instead of the events re-encoded, a third of the CPU. It
    // skips allSettled's arrays and extra ticks too.
    if (accepted.length > 0 && rejected.length === 0) return this.forwardWhole(req, key, site, { format, receivedAt, idBase, count: accepted.length });
    // Some events refused: the accepted ones re-encoded, the others dead-lettered.
    const sent = (raw as { events: unknown[] }).events;
    return this.publishEvents(req, key, site, { receivedAt, accepted, rejected, ignored: 0, kept: (i) => sent[i] });
  }

  /** Requests seen name their generated event ids: `<instance>-<request>`. */
  private nextIdBase(): string {
    return `${this.o.instanceId}-${(this.requestSeq++).toString(36)}`;
  }

  /**
   * Validated events as a record with its events, refused ones as dead letters; the answer waits
   * for both PubAcks. Rate-limited by everything the client sent.
   */
  private publishEvents(req: CoreRequest, key: string, site: WriteKeyRecord, b: EventsToPublish): CoreResponse | Ingested {
    const { accepted, rejected } = b;
    const limited = this.rateLimited(key, accepted.length + rejected.length + b.ignored);
    if (limited) return limited;
    const edge = this.edgeFields(req);
    const { ip, country } = edge;
    const ua = b.sender === undefined ? edge.ua : senderUserAgent(b.sender, edge.ua, MAX_USER_AGENT_LENGTH);
    const record: StreamRecord | undefined =
      accepted.length > 0 ? { site_id: site.site_id, received_at: b.receivedAt, ip, ua, country, events: accepted } : undefined;
    const work: Promise<void>[] = [];
    if (record) work.push(this.deps.sink.publishRecord(record));
    if (rejected.length > 0) {
      const items: DeadLetterItem[] = rejected.map((r) => ({ index: r.index, reason: r.reason, event: b.kept(r.index) }));
      const letter: DeadLetter = { v: 1, source: 'collector', site_id: site.site_id, received_at: b.receivedAt, ua, country, items };
      if (b.sender !== undefined) letter.format = b.sender;
      if (b.request !== undefined) letter.request = b.request;
      work.push(this.deps.sink.publishDeadLetter(letter));
    }
    return { pending: Promise.allSettled(work).then((results) => this.failureOf(results)), acceptedCount: accepted.length, rejected, ignored: b.ignored };
  }

  /** A compatible endpoint's publish awaited: the failure's answer, else its events counted. */
  private async settle(ingested: Ingested): Promise<CoreResponse | undefined> {
    const failure = await ingested.pending;
    if (failure) return failure;
    this.acceptedEvents.value += ingested.acceptedCount;
    this.rejectedEvents.value += ingested.rejected.length;
    this.ignoredEvents.value += ingested.ignored;
    return undefined;
  }

  /** The batch route checks and looks its key up inline: one await less on the hot path. */
  private async siteOf(key: string): Promise<WriteKeyRecord | CoreResponse> {
    if (!WRITE_KEY_PATTERN.test(key)) return errorResponse(401, 'invalid_key', 'unknown or revoked write key');
    let site;
    try {
      site = await this.deps.keys.lookup(key);
    } catch (e) {
      if (e instanceof KeyLookupError) return this.unavailable('key_registry_unavailable', 'the key registry is unreachable; retry later');
      throw e;
    }
    return site ?? errorResponse(401, 'invalid_key', 'unknown or revoked write key');
  }

  /** Every event of the body accepted: the body goes to the stream as it came, as a raw record. */
  private forwardWhole(
    req: CoreRequest,
    key: string,
    site: WriteKeyRecord,
    b: { format: RawBodyFormat; receivedAt: number; idBase: string; count: number },
  ): CoreResponse | Ingested {
    const limited = this.rateLimited(key, b.count);
    if (limited) return limited;
    // Fields named one by one, not spread from edgeFields: the spread (copyDataProperties) showed
    // in Bun's profile of a beacon. Same keys in the same order, so the same bytes.
    const edge = this.edgeFields(req);
    const whole: RawStreamRecord = {
      site_id: site.site_id,
      received_at: b.receivedAt,
      ip: edge.ip,
      ua: edge.ua,
      country: edge.country,
      body: req.body,
      format: b.format,
      max_event_age_ms: this.o.maxEventAgeMs,
      id_base: b.idBase,
      accepted: b.count,
    };
    const pending = this.deps.sink.publishRecord(whole).then(
      () => undefined,
      (e: unknown) => this.failureOf([{ status: 'rejected', reason: e }]),
    );
    return { pending, acceptedCount: b.count, rejected: [], ignored: 0 };
  }

  /** Spends events another collector let through for `key` (their limits are one). */
  chargeRateLimit(key: string, events: number): void {
    this.limiter.charge(key, events);
  }

  private rateLimited(key: string, events: number): CoreResponse | undefined {
    const rate = this.limiter.take(key, events);
    if (rate.ok) {
      if (this.limiter.enabled) this.deps.usage?.record(key, events);
      return undefined;
    }
    this.deps.metrics.rateLimited.inc();
    return errorResponse(429, 'rate_limited', 'too many events for this write key', { 'retry-after': String(rate.retryAfterSec) });
  }

  /** What the edge adds to a record: client address, user agent, country (only from a trusted proxy). */
  private edgeFields(req: CoreRequest): { ip: string; ua: string; country: string } {
    const peer = this.clientIp(req.remoteAddress, req.headers['x-forwarded-for']);
    const ua = (req.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT_LENGTH);
    return { ip: peer.ip, ua, country: peer.viaTrustedProxy ? this.countryOf(req) : '' };
  }

  private failureOf(results: PromiseSettledResult<void>[]): CoreResponse | undefined {
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      const e = r.reason as unknown;
      if (e instanceof RecordTooLargeError) return errorResponse(413, e.code, e.message);
      if (e instanceof StreamUnavailableError) return this.unavailable(e.code, e.message);
      if (e instanceof DrainingError) return this.unavailable(e.code, e.message);
      this.log('error', 'publish failed', { err: String((e as Error)?.stack ?? e) });
      return this.unavailable('stream_unavailable', 'the event stream did not acknowledge the batch; retry later');
    }
    return undefined;
  }

  private clientIp(peer: string, xff: string | undefined): { ip: string; viaTrustedProxy: boolean } {
    if (this.proxies.empty || xff === undefined) {
      let hit = this.clientIps.get(peer);
      if (!hit) {
        if (this.clientIps.size >= CLIENT_IP_CACHE_MAX) this.clientIps.clear();
        this.clientIps.set(peer, (hit = this.proxies.clientIp(peer, xff)));
      }
      return hit;
    }
    return this.proxies.clientIp(peer, xff);
  }

  private countryOf(req: CoreRequest): string {
    if (!this.o.countryHeader) return '';
    const v = (req.headers[this.o.countryHeader] ?? '').trim().toUpperCase();
    // "XX" is Cloudflare's "unknown"; "T1" (Tor) fails the pattern.
    return /^[A-Z]{2}$/.test(v) && v !== 'XX' ? v : '';
  }
}
