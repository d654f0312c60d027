import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Unpackr } from 'msgpackr';

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export interface Sink {
  url: string;
  events: Array<Record<string, unknown>>;
  authorizations: string[];
  close(): Promise<void>;
}

/** A collector stand-in: decodes the SDK's msgpack batches and answers 202. */
export async function startSink(): Promise<Sink> {
  const sink: Sink = { url: '', events: [], authorizations: [], close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = unpackr.unpack(Buffer.concat(chunks)) as { events: Array<Record<string, unknown>> };
      sink.events.push(...body.events);
      sink.authorizations.push(req.headers.authorization ?? '');
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: body.events.length, rejected: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return sink;
}
