import * as uws from 'uWebSockets.js';
import type { CollectorCore } from '../core/collector-core.js';
import type { CoreRequest, CoreResponse } from '../core/types.js';
import { statusLine } from '../core/http.js';
import type { HttpServerOptions, RunningServer } from './server.js';
import { DeadlineSweeper, sweepTickFor, type Deadline } from './deadlines.js';

const EMPTY = new Uint8Array(0);
const text = new TextDecoder();

/**
 * A copy of a body chunk (uWS reuses its memory after the callback). `Buffer.allocUnsafe` takes
 * chunks under 4 KiB, every beacon, from Node's shared 8 KiB pool: `chunk.slice(0)` malloc'ed an
 * ArrayBuffer per request that V8 then had to sweep (~7 % of a beacon's CPU, perf, 2026-12-07).
 */
function copyOf(chunk: ArrayBuffer): Uint8Array {
  const out = Buffer.allocUnsafe(chunk.byteLength);
  out.set(new Uint8Array(chunk));
  return out;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/**
 * uWebSockets.js adapter. The HttpRequest object dies when the handler returns,
 * so everything is copied synchronously; onAborted is attached first; writes
 * after any await are corked.
 */
export function startUwsServer(core: CollectorCore, o: HttpServerOptions): Promise<RunningServer> {
  const app = uws.App();
  const deadlines = new DeadlineSweeper(sweepTickFor(core.bodyTimeoutMs));

  app.any('/*', (res, req) => {
    let aborted = false;
    let done = false;
    let timer: Deadline | undefined;
    let reserved = 0;
    const release = (): void => {
      if (reserved > 0) core.releaseBody(reserved);
      reserved = 0;
    };
    res.onAborted(() => {
      aborted = true;
      deadlines.delete(timer);
      release();
    });

    const send = (r: CoreResponse): void => {
      release();
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(statusLine(r.status));
        for (const k in r.headers) res.writeHeader(k, r.headers[k] as string);
        if (r.headOnly) res.endWithoutBody(typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength, r.close === true);
        else res.end(r.body, r.close === true);
      });
    };
    const dispatch = (r: CoreRequest): void => {
      core.handle(r).then(send, () => send({ status: 500, headers: {}, body: '', close: true }));
    };

    const method = req.getCaseSensitiveMethod().toUpperCase();
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      const prev = headers[k];
      headers[k] = prev === undefined ? v : `${prev}, ${v}`;
    });
    const snapshot: CoreRequest = {
      method,
      path: req.getUrl(),
      query: req.getQuery() ?? '',
      headers,
      remoteAddress: text.decode(res.getRemoteAddressAsText()),
      body: EMPTY,
    };

    if (method !== 'POST' || !core.isBatchPath(snapshot.path)) {
      dispatch(snapshot);
      return;
    }

    const max = core.maxBodyBytes;
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      done = true;
      send(core.early('too_large'));
      return;
    }

    const chunks: Uint8Array[] = [];
    let size = 0;
    timer = deadlines.add(core.bodyTimeoutMs, () => {
      if (done) return;
      done = true;
      send(core.early('timeout'));
    });
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > max) {
        done = true;
        deadlines.delete(timer);
        send(core.early('too_large'));
        return;
      }
      if (!core.reserveBody(chunk.byteLength)) {
        done = true;
        deadlines.delete(timer);
        send(core.early('overloaded'));
        return;
      }
      reserved += chunk.byteLength;
      // uWS reuses the chunk's memory after this callback returns.
      if (chunk.byteLength > 0) chunks.push(copyOf(chunk));
      if (!isLast) return;
      done = true;
      deadlines.delete(timer);
      snapshot.body = size === 0 ? EMPTY : concat(chunks, size);
      dispatch(snapshot);
    });
  });

  return new Promise((resolve, reject) => {
    app.listen(o.host, o.port, (listenSocket) => {
      if (!listenSocket) {
        reject(new Error(`could not listen on ${o.host}:${o.port}`));
        return;
      }
      let open = true;
      const stopAccepting = (): void => {
        if (open) uws.us_listen_socket_close(listenSocket);
        open = false;
      };
      resolve({
        port: uws.us_socket_local_port(listenSocket as unknown as uws.us_socket),
        stopAccepting,
        close() {
          stopAccepting();
          deadlines.stop();
          app.close();
        },
      });
    });
  });
}
