import { createServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import type { CollectorCore } from './core/collector-core.js';
import { errorResponse } from './core/http.js';
import type { CoreResponse } from './core/types.js';
import { ListenError } from './errors.js';

/**
 * The operations routes a process answers on its own port. With COLLECTOR_PROCESSES > 1 the
 * shared port hands each scrape to whichever process the kernel picks; here Prometheus (and a
 * per-process health check) always reaches the same one.
 */
export const METRICS_LISTENER_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

export interface MetricsListener {
  readonly port: number;
  close(): void;
}

export interface MetricsListenerOptions {
  host: string;
  port: number;
  /** How the settings name this port, for the error when it cannot be listened on. */
  setting: string;
}

const EMPTY = new Uint8Array(0);

function send(res: ServerResponse, r: CoreResponse): void {
  const length = typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength;
  res.writeHead(r.status, { ...r.headers, 'content-length': String(length), ...(r.close ? { connection: 'close' } : {}) });
  res.end(r.headOnly ? undefined : r.body);
}

function listen(server: Server, o: MetricsListenerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (e: unknown): void => reject(new ListenError(o.setting, o.host, o.port, { cause: e }));
    server.once('error', failed);
    server.listen(o.port, o.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Serves /metrics, /healthz and /readyz through the core, so their answers (and the request
 * counter) are the main port's. A small node:http server: Bun implements it too, and a scrape
 * every few seconds needs none of the ingest adapters' speed.
 */
export async function startMetricsListener(core: CollectorCore, o: MetricsListenerOptions): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    // Nothing here reads a body; drain it so the connection can be reused.
    req.resume();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (!METRICS_LISTENER_PATHS.has(path)) {
      send(res, errorResponse(404, 'not_found', `this port serves ${[...METRICS_LISTENER_PATHS].join(', ')}`));
      return;
    }
    // The core answers its own failures (500); what is left is a connection gone before the answer.
    core
      .handle({ method: req.method ?? 'GET', path, query: '', headers: {}, remoteAddress: req.socket.remoteAddress ?? '', body: EMPTY })
      .then((r) => send(res, r))
      .catch(() => res.destroy());
  });
  await listen(server, o);
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      server.close();
      server.closeAllConnections?.();
    },
  };
}

/**
 * Fails when a port cannot be listened on now. The primary checks its workers' metrics ports
 * before starting them: a worker that cannot bind would otherwise exit and be restarted every
 * second while the others serve.
 */
export async function assertPortFree(o: MetricsListenerOptions): Promise<void> {
  const probe = createTcpServer();
  await listen(probe, o);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
