import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The port of a standalone service while it retries its start (`retryStart`): NATS not there yet
 * is a wait, not a fault, so a liveness probe must keep passing (an orchestrator would otherwise
 * kill a process that does exactly the right thing) while readiness says why it is not serving.
 * Node-only: a subpath export (`@pulse/protocol/starting-server`), never re-exported from the main
 * index, which the browser SDK imports.
 */

/** What /readyz says before the first attempt reports its own phase. */
export const DEFAULT_STARTING_PHASE = 'starting up';
/** Retry-After (seconds) of the 503 every other path gets: about the first pauses of the retry loop. */
export const DEFAULT_STARTING_RETRY_AFTER_SEC = 1;
/** The Prometheus text format every scraper reads. */
const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A listening node:http server another one may take over (its 'request' listener replaced). */
export interface ListeningServer {
  /**
   * Stops answering requests and hands the listening server over: the caller adds its own 'request'
   * listener in the same tick, so no connection is refused or left unanswered in between. The
   * server is the caller's from then on (its close, its timeouts).
   */
  handOver(): Server;
}

export interface StartingServerOptions {
  /** Names the process in answers: `aggregator`, `query api`. */
  name: string;
  /** Prefix of the metric names, without the trailing underscore: `pulse_aggregator`, `pulse_query`. */
  metricsPrefix: string;
  port: number;
  host: string;
  /** What the first attempt does, until `phase()` says otherwise. */
  phase?: string;
  retryAfterSec?: number;
  /**
   * node:http options of the server. Whatever takes it over keeps them, and some can only be given
   * at creation (connectionsCheckingInterval), so pass the real server's own.
   */
  serverOptions?: ServerOptions;
}

export interface StartingServer extends ListeningServer {
  /** Listens (again, after `close`); resolves with the port. Rejects when it cannot bind (EADDRINUSE). */
  start(): Promise<{ port: number }>;
  /** What the attempt under way is doing (e.g. `connecting to NATS`): /readyz says it until one fails. */
  phase(what: string): void;
  /** An attempt failed: /readyz says where and why, and the failure is counted in /metrics. */
  failed(err: unknown): void;
  /** One attempt, as it runs: its failure is `failed()` and passed on (to `retryStart`). */
  watch<T>(attempt: Promise<T>): Promise<T>;
  /** Stops listening and cuts its connections; nothing to do once handed over (the new owner closes it). */
  close(): Promise<void>;
}

/** Where a service's real server answers: a new listening socket, or the one a starting server holds. */
export interface ServeOptions {
  port: number;
  host: string;
  /** node:http options of a new server (a server taken over keeps the ones it was made with). */
  serverOptions?: ServerOptions;
  /** The starting server whose listening socket to take over instead of binding a new one. */
  takeOver?: ListeningServer;
}

/**
 * The real server of a service, answering with `onRequest`: it takes over the starting server's
 * socket in one tick (no request falls between the two listeners), or listens anew. Rejects when
 * it cannot bind (EADDRINUSE).
 */
export async function serve(onRequest: (req: IncomingMessage, res: ServerResponse) => void, o: ServeOptions): Promise<Server> {
  if (o.takeOver) {
    const s = o.takeOver.handOver();
    s.on('request', onRequest);
    return s;
  }
  const s = createServer(o.serverOptions ?? {});
  s.on('request', onRequest);
  await new Promise<void>((ok, fail) => {
    s.once('error', fail);
    s.listen(o.port, o.host, () => {
      s.off('error', fail);
      ok();
    });
  });
  return s;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The message of whatever an attempt threw, with its code when the message does not say it. */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * A standalone main's port while it retries its start: `start()` before the first attempt, each
 * attempt through `watch()`, and `handOver()` (via the real server's `takeOver`) once it started.
 */
export function createStartingServer(o: StartingServerOptions): StartingServer {
  const retryAfter = String(o.retryAfterSec ?? DEFAULT_STARTING_RETRY_AFTER_SEC);
  let current = o.phase ?? DEFAULT_STARTING_PHASE;
  let lastFailure: string | undefined;
  let failures = 0;
  let server: Server | undefined;

  const reason = (): string => `starting: ${lastFailure ?? current}`;
  const failed = (err: unknown): void => {
    failures++;
    lastFailure = `${current} failed (attempt ${failures}): ${describe(err)}`;
  };

  const metrics = (): string => {
    const p = o.metricsPrefix;
    return [
      `# HELP ${p}_starting 1 while the process retries its start (its real server has not taken over the port yet).`,
      `# TYPE ${p}_starting gauge`,
      `${p}_starting 1`,
      `# HELP ${p}_start_attempts_failed_total Start attempts that failed so far (each is retried with backoff).`,
      `# TYPE ${p}_start_attempts_failed_total counter`,
      `${p}_start_attempts_failed_total ${failures}`,
      '',
    ].join('\n');
  };

  // Synchronous answers only: a hand-over between two ticks never leaves a request half served.
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && path === '/healthz') {
      json(res, 200, { status: 'ok', state: 'starting' });
    } else if (get && path === '/readyz') {
      json(res, 503, { error: { code: 'not_ready', message: reason() }, state: 'starting', failed_attempts: failures });
    } else if (get && path === '/metrics') {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(metrics());
    } else {
      json(res, 503, { error: { code: 'starting', message: `the ${o.name} is starting (${reason()}); retry later` } }, { 'retry-after': retryAfter });
    }
  };

  return {
    async start() {
      if (server) throw new Error(`the ${o.name}'s starting server is already listening`);
      const s = await serve(onRequest, o);
      server = s;
      return { port: (s.address() as AddressInfo).port };
    },

    phase(what) {
      current = what;
    },

    failed,

    watch(attempt) {
      return attempt.catch((err: unknown) => {
        failed(err);
        throw err;
      });
    },

    handOver() {
      const s = server;
      if (!s) throw new Error(`the ${o.name}'s starting server is not listening`);
      server = undefined;
      s.off('request', onRequest);
      return s;
    },

    async close() {
      const s = server;
      if (!s) return;
      server = undefined;
      await new Promise<void>((ok) => {
        s.close(() => ok());
        s.closeAllConnections();
      });
    },
  };
}
