import type { CollectorCore } from '../core/collector-core.js';
import type { CoreRequest, CoreResponse } from '../core/types.js';
import type { HttpServerOptions, RunningServer } from './server.js';
import { DeadlineSweeper, sweepTickFor, type Deadline } from './deadlines.js';
import { requestTarget } from './request-target.js';

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

/** Bun's Request and Headers beyond the DOM types. */
type BunRequest = Request & { bytes(): Promise<Uint8Array> };
type BunHeaders = Headers & { toJSON(): Record<string, string | string[]> };

const EMPTY = new Uint8Array(0);

/**
 * A frozen header record is shared by many answers (the common 202's): its Headers are built once.
 * Bun copies a Headers given to `new Response` natively (the answer's own are separate), ~1 µs
 * less per answer than converting a record's properties each time.
 */
const sharedHeaders = new WeakMap<Record<string, string>, Headers>();

function headersOf(h: Record<string, string>): Record<string, string> | Headers {
  if (!Object.isFrozen(h)) return h;
  let built = sharedHeaders.get(h);
  if (!built) sharedHeaders.set(h, (built = new Headers(h)));
  return built;
}

function toResponse(r: CoreResponse): Response {
  const headers = r.close ? { ...r.headers, connection: 'close' } : headersOf(r.headers);
  return new Response(r.body as ConstructorParameters<typeof Response>[0], { status: r.status, headers });
}

/**
 * The request's headers as the core takes them: lower-case names, repeats joined with ", " (as
 * Headers does, and uws.ts). `toJSON` builds the record natively, cheaper than a `forEach`
 * callback per header; it gives `set-cookie` (which the core never reads) as an array, which is
 * joined like the others.
 */
function headerRecord(req: Request): Record<string, string> {
  const h = (req.headers as BunHeaders).toJSON();
  const cookies = h['set-cookie'];
  if (cookies !== undefined && typeof cookies !== 'string') h['set-cookie'] = cookies.join(', ');
  return h as Record<string, string>;
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

const OK_EMPTY: BodyResult = { ok: true, body: EMPTY };
const OVERLOADED: BodyResult = { ok: false, kind: 'overloaded' };
const TIMED_OUT: BodyResult = { ok: false, kind: 'timeout' };

/**
 * A body with a declared Content-Length within the cap cannot grow past it, so it is read in one
 * piece with `req.bytes()` (no stream reader, per-chunk promises or copy into a Uint8Array), with
 * its memory reserved up front and the same overall deadline. One promise settled by whichever
 * comes first, the body or the deadline (no Promise.race over a second one). `req.body` is not
 * touched on the way: Bun builds a ReadableStream for it.
 */
function readDeclaredBody(req: Request, length: number, core: CollectorCore, reserved: { bytes: number }, deadlines: DeadlineSweeper): BodyResult | Promise<BodyResult> {
  if (length === 0) return OK_EMPTY;
  if (!core.reserveBody(length)) return OVERLOADED;
  reserved.bytes += length;
  return new Promise<BodyResult>((resolve, reject) => {
    let settled = false;
    const d: Deadline = deadlines.add(core.bodyTimeoutMs, () => {
      if (settled) return;
      settled = true;
      void req.body?.cancel().catch(() => undefined);
      resolve(TIMED_OUT);
    });
    (req as BunRequest).bytes().then(
      (body) => {
        deadlines.delete(d);
        if (settled) return;
        settled = true;
        resolve({ ok: true, body });
      },
      // A client gone mid-body; after a 408 nobody listens (and nothing surfaces as unhandled).
      (e: unknown) => {
        deadlines.delete(d);
        if (settled) return;
        settled = true;
        reject(e);
      },
    );
  });
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
      // Not `new URL(req.url)`: req.url is the bare request target when the Host header is not a
      // usable host, and new URL threw on it (a 500).
      const { path, query } = requestTarget(req.url);
      const headers = headerRecord(req);
      const snapshot: CoreRequest = {
        method: req.method.toUpperCase(),
        path,
        query,
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
