// (b) A plain node:http collector doing the same work per request as ours: key lookup (cached),
// decode + validate (@pulse/protocol), one JetStream publish per request awaited before 202.
// No group commit, no streaming cap: the straightforward way, for comparison.
// PROCESSES=n runs n copies under node:cluster, to compare with ours on several processes.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { connect } from 'nats';
import { EVENTS_INGEST_SUBJECT, KV_WRITE_KEYS, decodeRecord } from '@pulse/protocol';
import { encodeStreamMessage, parseBatch } from '@pulse/protocol/codec';

const port = Number(process.env.PORT ?? 9101);
const processes = Number(process.env.PROCESSES ?? 1);
if (processes > 1 && cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(0);
  });
  await new Promise(() => undefined);
}
// noAsyncTraces as in ours: without it every publish also builds an Error for its stack.
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', noAsyncTraces: true });
const js = nc.jetstream();
const kv = await js.views.kv(KV_WRITE_KEYS, { history: 1 });
const keys = new Map();
let seq = 0;

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && url.pathname === '/readyz') return res.end('ok');
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const key = (req.headers.authorization ?? '').replace(/^Bearer /, '') || url.searchParams.get('key') || '';
  let site = keys.get(key);
  if (site === undefined) {
    const e = await kv.get(key).catch(() => null);
    site = e && e.operation === 'PUT' ? decodeRecord(e.value) : null;
    keys.set(key, site);
  }
  if (!site) return res.writeHead(401).end('{"error":{"code":"invalid_key","message":""}}');
  const receivedAt = Date.now();
  const parsed = parseBatch(body, req.headers['content-type'], { receivedAt, newId: () => `b-${seq++}` });
  if (!parsed.ok) return res.writeHead(parsed.error.status).end(JSON.stringify({ error: { code: parsed.error.code, message: parsed.error.message } }));
  const record = { site_id: site.site_id, received_at: receivedAt, ip: req.socket.remoteAddress ?? '', ua: req.headers['user-agent'] ?? '', country: '', events: parsed.accepted };
  try {
    await js.publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage({ v: 1, records: [record] }), { msgID: `baseline-${seq++}` });
  } catch {
    return res.writeHead(503, { 'retry-after': '1' }).end('{"error":{"code":"stream_unavailable","message":""}}');
  }
  res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: parsed.accepted.length, rejected: parsed.rejected }));
}).listen(port, '127.0.0.1');
