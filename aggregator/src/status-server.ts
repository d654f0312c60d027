import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { serve, type ListeningServer } from '@pulse/protocol/starting-server';
import type { Aggregator } from './aggregator.js';
import { ConfigError } from './errors.js';

export const DEFAULT_AGGREGATOR_PORT = 8082;

export interface StatusServerOptions {
  aggregator: Aggregator;
  port?: number;
  host?: string;
}

export interface StatusServerStartOptions {
  /**
   * A server already listening on the port (the standalone main's placeholder while it retried its
   * start): taken over instead of listening, so the port never refuses a connection.
   */
  takeOver?: ListeningServer;
}

export interface StatusServer {
  start(options?: StatusServerStartOptions): Promise<{ port: number }>;
  stop(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * Handles /healthz, /readyz and /metrics of an aggregator; resolves false for any other path, so an
 * embedding process can mount it next to its own routes.
 */
export async function handleStatusRequest(aggregator: Aggregator, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, errorBody('method_not_allowed', `${req.method ?? ''} is not allowed on ${path}`));
    return true;
  }
  if (path === '/healthz') {
    json(res, 200, { status: 'ok', state: aggregator.status().state });
  } else if (path === '/readyz') {
    const ready = await aggregator.ready().catch(() => false);
    const status = aggregator.status();
    json(res, ready ? 200 : 503, ready ? { status: 'ready', ...status } : { ...errorBody('not_ready', status.lastError ?? `state ${status.state}`), status });
  } else {
    const text = await aggregator.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': aggregator.metrics.registry.contentType });
    res.end(text);
  }
  return true;
}

/** A tiny node:http server with the aggregator's health, readiness and metrics endpoints. */
export function createStatusServer(opts: StatusServerOptions): StatusServer {
  if (!opts?.aggregator) throw new ConfigError('aggregator', 'an Aggregator is required');
  const port = opts.port ?? DEFAULT_AGGREGATOR_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `invalid port ${String(port)}`);
  const host = opts.host ?? '0.0.0.0';
  let server: Server | undefined;
  return {
    async start(startOptions = {}) {
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        handleStatusRequest(opts.aggregator, req, res)
          .then((handled) => {
            if (!handled) json(res, 404, errorBody('not_found', 'no such endpoint'));
          })
          .catch((err: unknown) => {
            if (!res.headersSent) json(res, 500, errorBody('internal', err instanceof Error ? err.message : String(err)));
            else res.end();
          });
      };
      const s = await serve(onRequest, { port, host, takeOver: startOptions.takeOver });
      server = s;
      const addr = s.address();
      return { port: typeof addr === 'object' && addr ? addr.port : port };
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = undefined;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}
