// A recording stand-in for the collector: serves the built scripts and answers
// POST /v1/batch (under any path prefix) the way the collector does, CORS
// included, while keeping every request for the test to inspect.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { unpack } from 'msgpackr';

export const DIST_DIR = fileURLToPath(new URL('../../dist/', import.meta.url));

export interface SinkEvent {
  id: string;
  name: string;
  ts: number;
  url: string;
  referrer?: string;
  title?: string;
  visitor_id?: string;
  session_id?: string;
  props?: Record<string, string | number | boolean>;
  revenue?: { amount: number; currency: string };
  screen_width?: number;
  lang?: string;
}

export interface SinkRequest {
  at: number;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The decoded batch (msgpack), for POSTs. */
  batch?: { sent_at?: number; events: SinkEvent[] };
  /** The status the sink answered. */
  status: number;
}

/** Decides the answer to one batch POST; default 202. */
export type Responder = (req: SinkRequest) => { status: number; headers?: Record<string, string> };

export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Batch POSTs, in arrival order. */
  posts(): SinkRequest[];
  /** Events the sink answered 2xx for (what a collector would have accepted). */
  accepted(): SinkEvent[];
  preflights(): SinkRequest[];
  /** Since the sink started, across resets. */
  totals: { posts: number; preflights: number };
  respond(fn: Responder | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Retry-After' };

export async function startSink(): Promise<Sink> {
  const requests: SinkRequest[] = [];
  let responder: Responder | undefined;
  const totals = { posts: 0, preflights: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://sink');
    const record: SinkRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
      status: 0,
    };
    requests.push(record);
    if (record.method === 'POST') totals.posts++;
    if (record.method === 'OPTIONS') totals.preflights++;
    const script = /\/(script[\w.]*\.js)$/.exec(url.pathname);
    if (req.method === 'GET' && script) {
      const code = await readFile(DIST_DIR + script[1]).catch(() => undefined);
      record.status = code ? 200 : 404;
      res.writeHead(record.status, { 'content-type': 'application/javascript', 'cache-control': 'no-store' });
      res.end(code);
      return;
    }
    if (req.method === 'OPTIONS') {
      record.status = 204;
      res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'Content-Type' });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname.endsWith('/v1/batch')) {
      record.batch = unpack(record.body) as SinkRequest['batch'];
      const answer = responder?.(record) ?? { status: 202 };
      record.status = answer.status;
      const body =
        answer.status === 202
          ? { accepted: record.batch?.events.length ?? 0, rejected: [] }
          : { error: { code: 'unavailable', message: `sink answered ${answer.status}` } };
      res.writeHead(answer.status, { ...CORS, 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(body));
      return;
    }
    record.status = 404;
    res.writeHead(404, CORS).end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const posts = () => requests.filter((r) => r.method === 'POST');
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    posts,
    accepted: () => posts().filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.batch?.events ?? []),
    preflights: () => requests.filter((r) => r.method === 'OPTIONS'),
    totals,
    respond(fn) {
      responder = fn;
    },
    reset() {
      requests.length = 0;
      responder = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
