// A collector stand-in that accepts anything: run as its own process so its CPU is
// not charged to the SDK under test. Counts events per format (msgpack, JSON, gzip'd
// JSON). Prints its port; GET /stats returns the counts, POST /reset clears them.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { Unpackr } from 'msgpackr';

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
let stats = { requests: 0, bytes: 0, events: 0, undecodable: 0 };

function countEvents(raw, headers) {
  let bytes = raw;
  if (headers['content-encoding'] === 'gzip' || (bytes[0] === 0x1f && bytes[1] === 0x8b)) bytes = gunzipSync(bytes);
  if ((headers['content-type'] ?? '').includes('msgpack')) return unpackr.unpack(bytes).events.length;
  const body = JSON.parse(bytes.toString('utf8'));
  return (body.batch ?? body.events ?? []).length;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/stats') return res.end(JSON.stringify(stats));
    if (req.url === '/reset') {
      stats = { requests: 0, bytes: 0, events: 0, undecodable: 0 };
      return res.end('{}');
    }
    const raw = Buffer.concat(chunks);
    stats.requests++;
    stats.bytes += raw.length;
    try {
      stats.events += countEvents(raw, req.headers);
    } catch {
      stats.undecodable++;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
