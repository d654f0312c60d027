import type { CollectorCore } from '../core/collector-core.js';
import type { CoreRequest, CoreResponse } from '../core/types.js';
import type { HttpServerOptions, RunningServer } from './server.js';
import { DeadlineSweeper, sweepTickFor, type Deadline } from './deadlines.js';

// No @types/bun here: the little of Bun this adapter touches, typed loosely.
interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
  requestIP(req: Request): { address: string } | null;
}
interface BunRuntime {
  serve(options: {
    hostname: string;
    port: number;
    reusePort?: boolean;
    maxRequestBodySize?: number;
    idleTimeout?: number;
    development?: boolean;
    fetch(req: Request, server: BunServer): Response | Promise<Response>;
    error?(err: Error): Response;
  }): BunServer;
}

const EMPTY = new Uint8Array(0);

function toResponse(r: CoreResponse): Response {
  const headers = r.close ? { ...r.headers, connection: 'close' } : r.headers;
  return new Response(r.body as ConstructorParameters<typeof Response>[0], { status: r.status, headers });
}

type BodyResult = { ok: true; body: Uint8Array } | { ok: false; kind: 'too_large' | 'timeout' | 'overloaded' };

/**
 * Streams the body with a byte cap and an overall deadline (idle timeouts alone
 * let a slow drip through), reserving memory from the core's budget per chunk.
 */
async function readBody(req: Request, core: CollectorCore, reserved: { bytes: number }): Promise<BodyResult> {
  if (!req.body) return { ok: true, body: EMPTY };
  const max = core.maxBodyBytes;
  const timeoutMs = core.bodyTimeoutMs;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout') {
        void reader.cancel().catch(() => undefined);
        return { ok: false, kind: 'timeout' };
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > max) {
        void reader.cancel().catch(() => undefined);
        return { ok: false, kind: 'too_large' };
      }
      if (!core.reserveBody(next.value.byteLength)) {
        void reader.cancel().catch(() => undefined);
        return { ok: false, kind: 'overloaded' };
      }
      reserved.bytes += next.value.byteLength;
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return { ok: true, body: chunks[0] as Uint8Array };
  const body = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    body.set(c, o);
    o += c.byteLength;
  }
  return { ok: true, body };
}

/**
 * A body with a declared Content-Length within the cap cannot grow past it, so
 * it is read in one piece (no stream reader and per-chunk promises), with its
 * memory reserved up front and the same overall deadline.
 */
async function readDeclaredBody(req: Request, length: number, core: CollectorCore, reserved: { bytes: number }, deadlines: DeadlineSweeper): Promise<BodyResult> {
  if (length === 0 || !req.body) return { ok: true, body: EMPTY };
  if (!core.reserveBody(length)) return { ok: false, kind: 'overloaded' };
  reserved.bytes += length;
  let d: Deadline | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    d = deadlines.add(core.bodyTimeoutMs, () => r('timeout'));
  });
  const body = req.arrayBuffer();
  // Lost races must not surface as unhandled rejections (client gone after a 408).
  body.catch(() => undefined);
  try {
    const next = await Promise.race([body, timeout]);
    if (next === 'timeout') {
      void req.body.cancel().catch(() => undefined);
      return { ok: false, kind: 'timeout' };
    }
    return { ok: true, body: new Uint8Array(next) };
  } finally {
    deadlines.delete(d);
  }
}

const DECIMAL = /^\d{1,15}$/;

/** Bun.serve adapter; the only file that knows about Bun. */
export function startBunServer(core: CollectorCore, o: HttpServerOptions): Promise<RunningServer> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (!bun) return Promise.reject(new Error('the Bun adapter needs the bun runtime'));
  const deadlines = new DeadlineSweeper(sweepTickFor(core.bodyTimeoutMs));
  const server = bun.serve({
    hostname: o.host,
    port: o.port,
    reusePort: true,
    development: false,
    // Bun's own limit drops the connection without an answer; ours streams and
    // answers a JSON 413, so Bun's is set out of the way.
    maxRequestBodySize: 1024 * 1024 * 1024,
    idleTimeout: Math.min(255, Math.ceil(core.bodyTimeoutMs / 1000) + 5),
    async fetch(req, srv) {
      const url = new URL(req.url);
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => {
        headers[k] = v;
      });
      const snapshot: CoreRequest = {
        method: req.method.toUpperCase(),
        path: url.pathname,
        query: url.search.length > 1 ? url.search.slice(1) : '',
        headers,
        remoteAddress: srv.requestIP(req)?.address ?? '',
        body: EMPTY,
      };
      if (snapshot.method !== 'POST' || !core.isBatchPath(snapshot.path)) return toResponse(await core.handle(snapshot));
      const declared = headers['content-length'];
      if (declared !== undefined && Number(declared) > core.maxBodyBytes) return toResponse(core.early('too_large'));
      const reserved = { bytes: 0 };
      try {
        const b =
          declared !== undefined && DECIMAL.test(declared)
            ? await readDeclaredBody(req, Number(declared), core, reserved, deadlines)
            : await readBody(req, core, reserved);
        if (!b.ok) return toResponse(core.early(b.kind));
        snapshot.body = b.body;
        return toResponse(await core.handle(snapshot));
      } finally {
        core.releaseBody(reserved.bytes);
      }
    },
    error(err) {
      return new Response(JSON.stringify({ error: { code: 'internal', message: err.message } }), { status: 500, headers: { 'content-type': 'application/json' } });
    },
  });
  return Promise.resolve({
    port: server.port,
    stopAccepting() {
      server.stop(false);
    },
    close() {
      deadlines.stop();
      server.stop(true);
    },
  });
}
