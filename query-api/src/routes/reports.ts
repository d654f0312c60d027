import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadKeyRecord, SiteRecord } from '@pulse/protocol';
import { etagMatches, type CachedAnswer } from '../cache.js';
import { DEFAULT_MAX_SITES_LISTED } from '../config.js';
import type { Deps } from '../deps.js';
import { NotAcceptableError, NotFoundError, RateLimitedError, UnauthorizedError } from '../errors.js';
import { REPORT_MEDIA_TYPES, negotiateReportFormat, type ReportFormat } from '../http/accept.js';
import { csvAnswer, csvEtag, writeReportCsv, type AnyCsvWriter } from '../http/csv-answer.js';
import { bearerToken, readJson, sendBytes, sendJson, sendJsonText } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { planQuery, validateQueryRequest, type QueryPlan } from '../query/plan.js';
import { currencyWarning, revenueCurrencies } from '../query/currencies.js';
import { runQuery } from '../query/run.js';
import { SITE_ID_SCHEMA } from '../query/schema.js';
import { realtime } from '../query/realtime.js';
import { validate } from '../schema/json-schema.js';
import { keyReadsSite } from '../tenancy/read-scope.js';

export interface Caller {
  key: ReadKeyRecord;
  headers: Record<string, string>;
  /** The key or a site was taken from its last known good record: NATS did not answer. */
  stale: boolean;
}

/** Read-key auth, then the key's rate limit (its headers go on every answer). */
export async function authenticate(req: IncomingMessage, d: Deps): Promise<Caller> {
  const token = bearerToken(req);
  if (token === undefined) throw new UnauthorizedError();
  const { record: key, stale } = await d.tenancy.lookupReadKey(token);
  if (!key) throw new UnauthorizedError();
  const decision = d.limiter.take(token, performance.now());
  if (!decision.allowed) {
    d.metrics.rateLimited.inc();
    throw new RateLimitedError(decision.retryAfter, decision.headers);
  }
  d.usage.record(token, 1);
  return { key, headers: decision.headers, stale };
}

/**
 * A site the caller's key may read (its merchant's, and among the key's sites when it names some);
 * any other site id is "not found", whether it exists or not. Every read route passes here before
 * the answer cache, whose keys name the site, so no cached answer reaches a key that may not read it.
 */
export async function siteOf(caller: Caller, siteId: string, d: Deps): Promise<SiteRecord> {
  const { record: site, stale } = await d.tenancy.lookupSite(siteId);
  if (!site || !keyReadsSite(caller.key, site)) throw new NotFoundError('site');
  if (stale) caller.stale = true;
  return site;
}

/**
 * JSON or CSV, as `Accept` prefers, decided before the body is read or a query runs (nothing we
 * could write would be accepted otherwise: 406); the headers every answer of the route carries.
 */
export function negotiateFormat(req: IncomingMessage, caller: Caller): { format: ReportFormat; headers: Record<string, string> } {
  // Answers differ by Accept, so shared caches must key them by it too.
  const headers = { ...caller.headers, vary: 'Accept' };
  const format = negotiateReportFormat(req.headers.accept);
  if (format === null) throw new NotAcceptableError(req.headers.accept ?? '', Object.values(REPORT_MEDIA_TYPES), headers);
  return { format, headers };
}

/**
 * A cached answer in the format asked: JSON as cached, or the CSV `writeCsv` makes from it, each
 * with its own ETag, so `If-None-Match` is answered per representation.
 */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  a: CachedAnswer,
  caller: Caller,
  d: Deps,
  headers: Record<string, string>,
  format: ReportFormat = 'json',
  writeCsv: AnyCsvWriter = writeReportCsv,
): void {
  if (caller.stale) d.metrics.staleTenancyAnswers.inc();
  const etag = format === 'csv' ? csvEtag(a) : a.etag;
  const h = { ...headers, etag, 'cache-control': 'private, no-cache' };
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, h);
    res.end();
    return;
  }
  if (format === 'csv') {
    const csv = csvAnswer(a, writeCsv);
    sendBytes(res, 200, csv.bytes, { ...h, ...csv.headers });
    return;
  }
  sendJsonText(res, 200, a.bytes, h);
}

/** Where an answer goes: the request, its caller and the headers and format the answer gets. */
export interface AnswerTarget {
  req: IncomingMessage;
  res: ServerResponse;
  caller: Caller;
  d: Deps;
  headers: Record<string, string>;
  format?: ReportFormat;
  /** How this route's answers are written as CSV; a report's by default. */
  writeCsv?: AnyCsvWriter;
}

/**
 * Answers from the cache, else from one computation that identical requests arriving meanwhile
 * share (a popular dashboard reloading runs its reports once); `x-cache` says which.
 */
export async function answerCached(
  t: AnswerTarget,
  key: string,
  inflight: Map<string, Promise<CachedAnswer>>,
  compute: () => Promise<CachedAnswer>,
): Promise<void> {
  const send = (a: CachedAnswer, how: string): void => answer(t.req, t.res, a, t.caller, t.d, { ...t.headers, 'x-cache': how }, t.format, t.writeCsv);
  const hit = t.d.cache.get(key);
  if (hit) {
    t.d.metrics.cacheHits.inc();
    send(hit, 'hit');
    return;
  }
  t.d.metrics.cacheMisses.inc();
  const shared = inflight.get(key);
  if (shared) {
    send(await shared, 'shared');
    return;
  }
  const computing = compute();
  inflight.set(key, computing);
  try {
    send(await computing, 'miss');
  } finally {
    inflight.delete(key);
  }
}

function cacheKey(plan: QueryPlan): string {
  return JSON.stringify(['q', plan]);
}

export function registerReports(router: Router, d: Deps): void {
  // Identical reports asked at the same moment (a popular dashboard reloading) run once.
  const inflight = new Map<string, Promise<CachedAnswer>>();

  router.add('GET', '/v1/sites', async ({ req, res }) => {
    const caller = await authenticate(req, d);
    const { sites, stale } = await d.tenancy.lookupKeySites(caller.key, DEFAULT_MAX_SITES_LISTED);
    if (caller.stale || stale) d.metrics.staleTenancyAnswers.inc();
    sendJson(
      res,
      200,
      { sites: sites.map((s) => ({ site_id: s.site_id, domain: s.domain, timezone: s.timezone, created_at: s.created_at })) },
      caller.headers,
    );
  });

  router.add('POST', '/v1/query', async ({ req, res }) => {
    const caller = await authenticate(req, d);
    const { format, headers } = negotiateFormat(req, caller);
    const body = await readJson(req, d.opts.maxBodyBytes);
    const request = validateQueryRequest(body);
    const site = await siteOf(caller, request.site_id, d);
    const now = d.opts.now();
    const plan = planQuery(request, site, now);
    // One entry per query, not per format: the CSV is made from the cached JSON answer.
    const key = cacheKey(plan);
    await answerCached({ req, res, caller, d, headers, format }, key, inflight, () => compute(plan, key, now));
  });

  /** Runs a report and caches its answer. */
  async function compute(plan: QueryPlan, key: string, now: number): Promise<CachedAnswer> {
    const stop = d.metrics.storageQueries.startTimer({ kind: 'query' });
    const settings = storageSettings(d);
    const [[outcome, currencies], completeThrough] = await Promise.all([
      d.schema
        .get()
        .then((schema) => Promise.all([runQuery(d.opts.storage, plan, { settings, schema }), revenueCurrencies(d.opts.storage, plan, schema, settings)])),
      d.freshness.completeThrough(),
    ]);
    stop();
    const warning = currencyWarning(currencies);
    const payload = {
      results: outcome.results,
      meta: {
        site_id: plan.siteId,
        metrics: plan.metrics,
        dimensions: plan.dimensions,
        timezone: plan.timezone,
        date_range: { from: new Date(plan.range.fromMs).toISOString(), to: new Date(plan.range.toMs).toISOString() },
        ...(plan.compare
          ? { compare_range: { from: new Date(plan.compare.fromMs).toISOString(), to: new Date(plan.compare.toMs).toISOString() } }
          : {}),
        limit: plan.limit,
        offset: plan.offset,
        has_more: outcome.hasMore,
        complete_through: completeThrough,
        source_table: outcome.table,
        sketches: outcome.sketches,
        // Part of the answer, so of its cached bytes and ETag too.
        ...(currencies ? { revenue_currencies: currencies } : {}),
        ...(warning ? { warnings: [warning] } : {}),
      },
    };
    return d.cache.set(
      key,
      JSON.stringify(payload),
      Math.max(plan.range.toMs, plan.compare?.toMs ?? 0),
      now,
      completeThrough === null ? undefined : Date.parse(completeThrough),
    );
  }

  router.add('GET', '/v1/realtime', async ({ req, res, url }) => {
    const caller = await authenticate(req, d);
    const siteId = url.searchParams.get('site_id') ?? undefined;
    validate({ type: 'object', required: ['site_id'], properties: { site_id: SITE_ID_SCHEMA } }, { site_id: siteId });
    const site = await siteOf(caller, siteId as string, d);
    const key = JSON.stringify(['rt', site.site_id]);
    const now = d.opts.now();
    let hit = d.cache.get(key);
    if (!hit) {
      const stop = d.metrics.storageQueries.startTimer({ kind: 'realtime' });
      const [rt, completeThrough] = await Promise.all([
        realtime(d.opts.storage, site, now, storageSettings(d)),
        d.freshness.completeThrough(),
      ]);
      stop();
      hit = d.cache.set(key, JSON.stringify({ ...rt, meta: { site_id: site.site_id, timezone: site.timezone, complete_through: completeThrough } }), now, now);
    }
    answer(req, res, hit, caller, d, caller.headers);
  });
}

export function storageSettings(d: Deps): Record<string, number | string> {
  return {
    max_execution_time: Math.max(1, Math.ceil(d.opts.queryTimeoutMs / 1000)),
  };
}
