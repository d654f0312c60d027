import { connect } from 'node:net';
import { parseErrorBody } from './check.js';

export interface SlowResult {
  name: string;
  /** Status the server answered, 0 if it closed without one or the client gave up first. */
  status: number;
  code: string;
  closedByServer: boolean;
  ms: number;
}

/**
 * A slow client: sends `head` then `body` one byte per `intervalMs` (slowloris). It stops when the
 * server answers or closes, or after `maxMs` (then it was never cut off: status 0, closedByServer false).
 */
export function trickle(opts: { name: string; url: string; head: string; body: string; trickleHead?: boolean; intervalMs: number; maxMs: number }): Promise<SlowResult> {
  const u = new URL(opts.url);
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname, port: Number(u.port) });
    const received: Buffer[] = [];
    let done = false;
    const payload = opts.trickleHead ? opts.head + opts.body : opts.body;
    let at = 0;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearInterval(tick);
      clearTimeout(limit);
      sock.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const body = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
      resolve({ name: opts.name, status: m ? Number(m[1]) : 0, code: m ? parseErrorBody(body).code : '-', closedByServer, ms: Date.now() - started });
    };
    const tick = setInterval(() => {
      if (at < payload.length && sock.writable) sock.write(payload[at++] as string, 'latin1');
    }, opts.intervalMs);
    const limit = setTimeout(() => finish(false), opts.maxMs);
    sock.on('connect', () => {
      if (!opts.trickleHead) sock.write(opts.head, 'latin1');
    });
    sock.on('data', (c: Buffer) => {
      received.push(c);
      setTimeout(() => finish(true), 100);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
  });
}

/** The slow clients of a campaign: body and header trickles against both services. */
export function slowClients(opts: { collectorUrl: string; queryUrl: string; writeKey: string; readKey: string; count: number; maxMs: number }): Promise<SlowResult[]> {
  const body = JSON.stringify({ events: [{ name: 'slow', url: 'https://hostile.example/' }] }).padEnd(400, ' ');
  const head = (path: string, auth: string, host: string) => `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const kinds = [
    { name: 'collector_body_trickle', url: opts.collectorUrl, head: head('/v1/batch', opts.writeKey, new URL(opts.collectorUrl).host), trickleHead: false },
    { name: 'collector_header_trickle', url: opts.collectorUrl, head: head('/v1/batch', opts.writeKey, new URL(opts.collectorUrl).host), trickleHead: true },
    { name: 'query_body_trickle', url: opts.queryUrl, head: head('/v1/query', opts.readKey, new URL(opts.queryUrl).host), trickleHead: false },
    { name: 'query_header_trickle', url: opts.queryUrl, head: head('/v1/query', opts.readKey, new URL(opts.queryUrl).host), trickleHead: true },
  ];
  return Promise.all(Array.from({ length: opts.count }, (_, i) => trickle({ ...(kinds[i % kinds.length] as (typeof kinds)[number]), body, intervalMs: 250, maxMs: opts.maxMs })));
}
