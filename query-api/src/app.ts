import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'nats';
import { AnswerCache } from './cache.js';
import { resolveOptions, type QueryApiOptions } from './config.js';
import type { Deps } from './deps.js';
import { HttpError, toHttpError } from './errors.js';
import { KV_STATE } from '@pulse/protocol';
import { serve, type ListeningServer } from '@pulse/protocol/starting-server';
import { USAGE_SUBJECT_QUERY, UsageShare } from '@pulse/protocol/usage-share';
import { ReceivedAtFreshness, WatermarkFreshness } from './freshness.js';
import { sendError } from './http/respond.js';
import { Router } from './http/router.js';
import { serveStatic } from './http/static.js';
import { jsonLogger } from './log.js';
import { ApiMetrics } from './metrics.js';
import { RateLimiter } from './ratelimit.js';
import { readinessCheck } from './readiness-check.js';
import { registerAdmin } from './routes/admin.js';
import { registerOps } from './routes/ops.js';
import { registerReplays } from './routes/replays.js';
import { registerReports } from './routes/reports.js';
import { registerFunnels } from './routes/funnels.js';
import { TenancyStore, openKv } from './tenancy/store.js';
import { SchemaProbe } from './schema-probe.js';

export interface QueryApiStartOptions {
  /**
   * A server already listening on the port (the standalone main's placeholder while it retried its
   * start): taken over once everything else has started, instead of listening, so the port never
   * refuses a connection. Create it with HTTP_SERVER_OPTIONS.
   */
  takeOver?: ListeningServer;
}

export interface QueryApi {
  start(options?: QueryApiStartOptions): Promise<{ port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes. */
  stop(graceMs?: number): Promise<void>;
  /** Drops every cached answer (after a replay swapped data underneath). */
  invalidateCache(): void;
}

export const DEFAULT_STOP_GRACE_MS = 5_000;
/** Slow clients (slowloris) are cut off: headers must arrive within this, the whole request within the next. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** The API's node:http settings; a server handed over (`takeOver`) must have been created with them. */
export const HTTP_SERVER_OPTIONS: ServerOptions = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 };
/**
 * Core NATS subject that empties every query API's answer cache (any payload). Whatever swaps
 * replayed data into the live tables publishes here once the swap is done.
 */
export const CACHE_INVALIDATE_SUBJECT = 'pulse.query.cache.invalidate';

/** Browsers may call the read endpoints from merchants' own dashboards. */
const CORS_PREFIXES = ['/v1/query', '/v1/funnel', '/v1/realtime', '/v1/sites'];
const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers':
    'ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Cache, Content-Disposition, X-Pulse-Complete-Through, X-Pulse-Warnings, X-Pulse-Has-More',
};

/** Elapsed time for refresh intervals and rate limits; `opts.now` is wall-clock time for reports. */
const monotonic = (): number => performance.now();

export function createQueryApi(options: QueryApiOptions): QueryApi {
  const opts = resolveOptions(options);
  const log = opts.logger ?? jsonLogger();
  const cache = new AnswerCache(opts.cache);
  let deps: Deps | undefined;
  const metrics = new ApiMetrics({
    registry: opts.registry,
    defaultMetrics: opts.defaultMetrics,
    cacheSize: () => cache.size,
    readiness: async () => (deps ? (await deps.readiness()).body : undefined),
  });
  let server: Server | undefined;
  let invalidations: Subscription | undefined;
  let unsubscribeSwapped: (() => unknown) | undefined;
  let usage: UsageShare | undefined;
  let starting = false;
  let router = new Router();

  /** Lets go of what a start took: the invalidation and usage subscriptions, the replay listener, the KV watches. */
  function detach(tenancy: TenancyStore | undefined): void {
    try {
      invalidations?.unsubscribe();
    } catch {
      // The connection is closed: so is the subscription.
    }
    invalidations = undefined;
    unsubscribeSwapped?.();
    unsubscribeSwapped = undefined;
    usage?.stop();
    usage = undefined;
    tenancy?.close();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let pattern = 'unmatched';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cors = CORS_PREFIXES.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`));
    if (cors) for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    try {
      if (cors && req.method === 'OPTIONS') {
        pattern = 'preflight';
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'Authorization, Content-Type, If-None-Match',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match && 'handler' in match) {
        pattern = match.pattern;
        await match.handler({ req, res, url, params: match.params });
        return;
      }
      if (match && 'methodNotAllowed' in match) {
        pattern = 'method_not_allowed';
        throw new HttpError(405, 'method_not_allowed', `use ${match.methodNotAllowed.join(' or ')}`, {
          headers: { allow: match.methodNotAllowed.join(', ') },
        });
      }
      if (opts.staticDir && (req.method === 'GET' || req.method === 'HEAD') && !url.pathname.startsWith('/v1/')) {
        pattern = 'static';
        if (await serveStatic(opts.staticDir, req, res, url.pathname)) return;
      }
      throw new HttpError(404, 'not_found', `no route for ${req.method} ${url.pathname}`);
    } catch (err) {
      const httpErr = toHttpError(err);
      if (httpErr.status >= 500) {
        log.log('error', 'request failed', { method: req.method, path: url.pathname, status: httpErr.status, err, cause: httpErr.cause });
      }
      if (res.headersSent) res.destroy();
      else sendError(res, httpErr);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requests.inc({ route: pattern, method: req.method ?? '', status: String(res.statusCode) });
      metrics.duration.observe({ route: pattern }, seconds);
    }
  }

  return {
    async start(startOptions = {}) {
      if (server || starting) throw new Error('already started');
      starting = true;
      let tenancy: TenancyStore | undefined;
      try {
        tenancy = await TenancyStore.open(opts.nats, {
          replicas: opts.kvReplicas,
          cacheTtlMs: opts.keyCacheTtlMs,
          staleMaxMs: opts.tenancyStaleMaxMs,
          lookupTimeoutMs: opts.tenancyLookupTimeoutMs,
          logger: log,
        });
        const stateKv = await openKv(opts.nats, KV_STATE, opts.kvReplicas);
        const store = tenancy;
        // Keys stored before their index existed (or by other writers) are indexed in the background.
        const catchUps = [['write key', () => store.catchUpWriteKeys()], ['read key', () => store.catchUpReadKeys()]] as const;
        for (const [kind, run] of catchUps) {
          void run().then(
            (r) => log.log('info', `${kind} index caught up`, { ...r }),
            (err: unknown) => log.log('warn', `${kind} index catch-up failed; the next listing retries it`, { err }),
          );
        }
        const limiter = new RateLimiter(opts.rateLimit);
        // One limit for every instance of the API, however many there are.
        usage = new UsageShare({ nc: opts.nats, subject: USAGE_SUBJECT_QUERY, onRemote: (key, n) => limiter.charge(key, n, performance.now()) });
        usage.start();
        deps = {
          opts,
          readiness: readinessCheck({ opts, tenancy: store, log }),
          tenancy: store,
          cache,
          limiter,
          usage,
          metrics,
          freshness: new WatermarkFreshness(
            stateKv,
            new ReceivedAtFreshness(opts.storage, opts.freshnessRefreshMs, monotonic),
            opts.freshnessRefreshMs,
            monotonic,
          ),
          schema: new SchemaProbe(opts.storage, opts.schemaRefreshMs, monotonic),
          log,
        };
        invalidations = opts.nats.subscribe(CACHE_INVALIDATE_SUBJECT, {
          callback: (err) => {
            if (err) return;
            cache.clear();
            log.log('info', 'answer cache cleared', { reason: CACHE_INVALIDATE_SUBJECT });
          },
        });
        // Replayed data replaced what cached answers were computed from (any range, any site).
        unsubscribeSwapped = opts.replays?.onSwapped((e) => {
          cache.clear();
          log.log('info', 'answer cache cleared', { reason: 'replay swapped', replay_id: e.replay_id, from: e.from, to: e.to, site_id: e.site_id ?? null });
        });
        router = new Router();
        registerOps(router, deps);
        registerAdmin(router, deps);
        registerReplays(router, deps);
        registerReports(router, deps);
        registerFunnels(router, deps);
        const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
          handle(req, res).catch((err: unknown) => {
            log.log('error', 'unhandled', { err });
            res.destroy();
          });
        };
        // Last: nothing can fail after it. A server taken over was made with HTTP_SERVER_OPTIONS (its main's).
        const s = await serve(onRequest, { port: opts.port, host: opts.host, serverOptions: HTTP_SERVER_OPTIONS, takeOver: startOptions.takeOver });
        server = s;
        const port = (s.address() as AddressInfo).port;
        log.log('info', 'query api listening', { host: opts.host, port, static_dir: opts.staticDir ?? null });
        return { port };
      } catch (err) {
        // Nothing is left behind (watches, subscriptions), so a caller may start again: a NATS
        // that timed out during an election usually answers a moment later.
        detach(tenancy);
        deps = undefined;
        throw err;
      } finally {
        starting = false;
      }
    },

    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      const s = server;
      if (!s) return;
      server = undefined;
      detach(deps?.tenancy);
      const closed = new Promise<void>((ok) => s.close(() => ok()));
      s.closeIdleConnections();
      const timer = setTimeout(() => s.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      log.log('info', 'query api stopped');
    },

    invalidateCache() {
      cache.clear();
    },
  };
}
