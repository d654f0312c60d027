import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Unpackr } from 'msgpackr';

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export interface SinkRequest {
  at: number;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
  raw: Buffer;
  body: { sent_at?: number; events: Array<Record<string, unknown>> };
  /** Which TCP connection carried it (0, 1, ...), to see keep-alive at work. */
  socket: number;
}

/** What the sink answers to one request; the default is a 202 accepting everything. */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | 'hang'
  | 'destroy';

export interface Sink {
  url: string;
  port: number;
  requests: SinkRequest[];
  /** Events of the requests that were answered 2xx. */
  accepted: Array<Record<string, unknown>>;
  /** Answers for the next requests, in order; when empty, `fallback` answers. */
  script: Reply[];
  fallback: (req: SinkRequest) => Reply;
  connections: number;
  waitForEvents(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A collector stand-in on loopback: decodes msgpack batches and answers as scripted. */
export async function startSink(port = 0): Promise<Sink> {
  const sockets = new Map<Socket, number>();
  const hanging = new Set<ServerResponse>();
  const sink: Sink = {
    url: '',
    port: 0,
    requests: [],
    accepted: [],
    script: [],
    fallback: (r) => ({ status: 202, body: { accepted: r.body.events.length, rejected: [] } }),
    connections: 0,
    waitForEvents: (n, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const until = Date.now() + timeoutMs;
        const check = (): void => {
          if (sink.accepted.length >= n) resolve();
          else if (Date.now() > until) reject(new Error(`sink has ${sink.accepted.length} of ${n} events after ${timeoutMs} ms`));
          else setTimeout(check, 10);
        };
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: SinkRequest['body'] = { events: [] };
      try {
        body = unpackr.unpack(raw) as SinkRequest['body'];
      } catch {
        // not msgpack: recorded with no events
      }
      const r: SinkRequest = {
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bytes: raw.length,
        raw,
        body,
        socket: sockets.get(req.socket) ?? -1,
      };
      sink.requests.push(r);
      const reply = sink.script.shift() ?? sink.fallback(r);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      if (reply.status >= 200 && reply.status < 300) sink.accepted.push(...body.events);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.set(s, sink.connections++);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  sink.port = (server.address() as AddressInfo).port;
  sink.url = `http://127.0.0.1:${sink.port}`;
  return sink;
}
