// The ceiling for cached answers on this machine: a node:http server (the API's own HTTP stack)
// that reads and parses each request body, then answers with fixed bytes and the headers a cached
// answer carries. No auth, no validation, no planning, no cache lookup.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareServer {
  port: number;
  /** The bytes (and ETag) every request is answered with from now on. */
  answerWith(body: string, etag: string): void;
  close(): Promise<void>;
}

export async function startBareServer(): Promise<BareServer> {
  let body = Buffer.from('{}');
  let etag = '"0"';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        etag,
        'cache-control': 'private, no-cache',
        'x-cache': 'hit',
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    answerWith(b, e) {
      body = Buffer.from(b);
      etag = e;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
