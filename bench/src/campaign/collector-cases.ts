import { MAX_BODY_BYTES, MAX_EVENTS_PER_BATCH, MAX_PROPS, MAX_STRING_LENGTH } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { BAD_KEYS, INJECTIONS, WRONG_TYPES, urlSafe } from './hostile-values.js';
import { mutateBytes, pickOf, randInt, randomBytes, type Rand } from './mutate.js';
import { utf8, type CaseContext, type CaseGenerator, type HostileRequest } from './request.js';

const EVENT_FIELDS = ['id', 'name', 'ts', 'url', 'referrer', 'title', 'visitor_id', 'session_id', 'user_id', 'props', 'revenue', 'screen_width', 'lang'] as const;
const CONTENT_TYPES = ['application/msgpack', 'application/json', 'text/plain', 'text/plain;charset=UTF-8', ''] as const;

export function sampleEvent(r: Rand, seq: number): Record<string, unknown> {
  return {
    id: `hostile-${seq}-${randInt(r, 1e9)}`,
    name: r() < 0.6 ? 'pageview' : 'signup',
    ts: Date.now() - randInt(r, 60_000),
    url: `https://hostile.example/p/${randInt(r, 100)}?utm_source=x`,
    referrer: 'https://www.google.com/',
    title: 'Hostile',
    visitor_id: `v_${randInt(r, 1000)}`,
    session_id: `s_${randInt(r, 1000)}`,
    user_id: `u_${randInt(r, 100)}`,
    props: { plan: 'pro', n: 3, ok: true },
    revenue: { amount: 9.99, currency: 'EUR' },
    screen_width: 1280,
    lang: 'en-US',
  };
}

export function sampleBatch(r: Rand, seq: number, events = 1 + randInt(r, 5)): { sent_at: number; events: Record<string, unknown>[] } {
  return { sent_at: Date.now(), events: Array.from({ length: events }, (_, i) => sampleEvent(r, seq * 1000 + i)) };
}

function encode(r: Rand, body: unknown): { bytes: Uint8Array; type: string } {
  return r() < 0.5 ? { bytes: encodeMsgpack(body), type: 'application/msgpack' } : { bytes: utf8(JSON.stringify(body)), type: 'application/json' };
}

const bearer = (k: string) => `Bearer ${k}`;

function batch(c: CaseContext, family: string, body: Uint8Array, type: string, extra: Array<[string, string]> = [], auth = bearer(c.t.hostileWriteKey), mayAccept = true): HostileRequest {
  const headers: Array<[string, string]> = type ? [['content-type', type]] : [];
  if (auth) headers.push(['authorization', auth]);
  return { target: 'collector', family, method: 'POST', path: '/v1/batch', headers: [...headers, ...extra], body, mayAccept };
}

const randomBody: CaseGenerator = (c) => {
  const bytes = randomBytes(c.r, randInt(c.r, 4096));
  // Half start like JSON or a msgpack map, so the parser goes past its first byte.
  if (bytes.length > 0 && c.r() < 0.5) bytes[0] = c.r() < 0.5 ? 0x7b : 0x82;
  return batch(c, 'random_bytes', bytes, pickOf(c.r, CONTENT_TYPES));
};

const mutated: CaseGenerator = (c) => {
  const { bytes, type } = encode(c.r, sampleBatch(c.r, c.seq));
  const other = encode(c.r, sampleBatch(c.r, c.seq + 1)).bytes;
  const m = mutateBytes(c.r, bytes, other);
  return batch(c, `mutated_${type === 'application/json' ? 'json' : 'msgpack'}_${m.kind}`, m.bytes, type);
};

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) obj[head] = value;
  else if (typeof obj[head] === 'object' && obj[head] !== null) (obj[head] as Record<string, unknown>)[tail] = value;
}

const wrongType: CaseGenerator = (c) => {
  const b = sampleBatch(c.r, c.seq, 1 + randInt(c.r, 3)) as Record<string, unknown>;
  const where = randInt(c.r, 10);
  const value = c.r() < 0.8 ? pickOf(c.r, WRONG_TYPES) : pickOf(c.r, INJECTIONS);
  if (where === 0) b['events'] = value;
  else if (where === 1) b['sent_at'] = value;
  else {
    const ev = (b['events'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    const field = pickOf(c.r, [...EVENT_FIELDS, 'props.plan', 'props.__proto__', 'revenue.amount', 'revenue.currency']);
    setPath(ev, field, value);
  }
  const body = c.r() < 0.1 ? value : b;
  const { bytes, type } = encode(c.r, body === undefined ? null : body);
  return batch(c, 'wrong_types', bytes, type);
};

const oversize: CaseGenerator = (c) => {
  const b = sampleBatch(c.r, c.seq, 1);
  const ev = b.events[0] as Record<string, unknown>;
  const kind = randInt(c.r, 6);
  let family = 'oversize_field';
  if (kind === 0) ev[pickOf(c.r, ['url', 'title', 'referrer', 'visitor_id', 'name', 'id', 'lang'])] = 'x'.repeat(MAX_STRING_LENGTH * (1 + randInt(c.r, 20)));
  else if (kind === 1) ev['props'] = Object.fromEntries(Array.from({ length: MAX_PROPS + 1 + randInt(c.r, 500) }, (_, i) => [`k${i}`, i]));
  else if (kind === 2) ev['props'] = { ['k'.repeat(65 + randInt(c.r, 5000))]: 'v' };
  else if (kind === 3) {
    family = 'oversize_batch';
    b.events = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 + randInt(c.r, 50) }, (_, i) => sampleEvent(c.r, i));
  } else if (kind === 4) {
    family = 'oversize_body';
    const { type } = encode(c.r, {});
    return batch(c, family, new Uint8Array(MAX_BODY_BYTES + 1 + randInt(c.r, 64 * 1024)).fill(0x20), type);
  } else {
    // Built as text: a nesting this deep would overflow JSON.stringify on our side.
    const n = 2000 + randInt(c.r, 50_000);
    return batch(c, 'deep_nesting', utf8(`{"events":[{"name":"x","props":{"deep":${'['.repeat(n)}${']'.repeat(n)}}}]}`), 'application/json');
  }
  const { bytes, type } = encode(c.r, b);
  return batch(c, family, bytes, type);
};

const LYING_TYPES = ['application/json', 'application/msgpack', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=--x', 'application/json; charset=utf-16', 'application/msgpack; foo="bar', 'image/png', '*/*', ';;;', 'application/json\t'] as const;
const XFF = ['1.1.1.1', '::ffff:999.1.1.1', '<script>', 'unknown', '1.1.1.1, 2.2.2.2, 3.3.3.3', `${'9.9.9.9, '.repeat(500)}1.1.1.1`, '::1', '10.0.0.1:8080', ''] as const;

const hostileHeaders: CaseGenerator = (c) => {
  const { bytes, type } = encode(c.r, sampleBatch(c.r, c.seq));
  const kind = randInt(c.r, 5);
  if (kind === 0) return batch(c, 'bad_authorization', bytes, type, [], pickOf(c.r, BAD_KEYS), false);
  if (kind === 1) return batch(c, 'duplicated_authorization', bytes, type, [['authorization', pickOf(c.r, BAD_KEYS)]], bearer(c.t.hostileWriteKey), false);
  if (kind === 2) return batch(c, 'content_type_lie', bytes, pickOf(c.r, LYING_TYPES));
  if (kind === 3) {
    return batch(c, 'bogus_forwarding_headers', bytes, type, [
      ['x-forwarded-for', pickOf(c.r, XFF)],
      ['x-real-ip', pickOf(c.r, XFF)],
      ['cf-ipcountry', pickOf(c.r, ['XX', 'T1', '../', 'DEE', '\u00e9\u00e9'])],
      ['user-agent', c.r() < 0.5 ? 'x'.repeat(randInt(c.r, 12_000)) : 'Mozilla/5.0\t(\u00ff) ' + pickOf(c.r, INJECTIONS).replace(/[^\x20-\x7e]/g, '?')],
      ['forwarded', 'for="_gazonk";proto=http;by=203.0.113.43'],
    ]);
  }
  const key = pickOf(c.r, ['', 'wk_', `wk_${'a'.repeat(32)}`, urlSafe(pickOf(c.r, INJECTIONS)), `${c.t.hostileWriteKey}&key=wk_${'0'.repeat(32)}`]);
  // A repeated ?key= whose first value is the real key may legitimately be taken as that key.
  const req = batch(c, 'bad_query_key', bytes, type, [], '', key.startsWith(c.t.hostileWriteKey));
  return { ...req, path: `/v1/batch?key=${key}` };
};

const METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'POST'] as const;
// fetch normalises dot segments (`/a/../v1/batch` and `/%2e%2e/` leave as `/v1/batch`, `/`): those go raw.
const PATHS = ['/v1/batch/', '/v1/batch/x', '/v1//batch', '/v1/BATCH', '/v2/batch', '/v1/batch%00', '/v1/batch%2F', '/healthz/x', `/${'a'.repeat(8000)}`, '/v1/query', '/v1/admin/merchants', '/x?y=' + 'z'.repeat(2000)] as const;

const wrongRoute: CaseGenerator = (c) => {
  const kind = randInt(c.r, 3);
  const headers: Array<[string, string]> = [['authorization', bearer(c.t.hostileWriteKey)]];
  if (kind === 0) {
    const method = pickOf(c.r, ['GET', 'PUT', 'DELETE', 'PATCH'] as const);
    return { target: 'collector', family: 'wrong_method', method, path: '/v1/batch', headers, ...(method === 'GET' || method === 'DELETE' ? {} : { body: utf8('{}') }), mayAccept: false };
  }
  if (kind === 1) return { target: 'collector', family: 'wrong_method', method: pickOf(c.r, ['POST', 'PUT', 'DELETE'] as const), path: pickOf(c.r, ['/script.js', '/healthz', '/readyz', '/metrics']), headers, body: utf8('{}'), mayAccept: false };
  const method = pickOf(c.r, METHODS);
  return { target: 'collector', family: 'unknown_path', method, path: pickOf(c.r, PATHS), headers, ...(method === 'GET' || method === 'DELETE' ? {} : { body: utf8('{"events":[]}') }), mayAccept: false };
};

/** Weighted: cheap, varied cases dominate; 600 KiB bodies are rare so the campaign stays modest. */
export const COLLECTOR_CASES: ReadonlyArray<[CaseGenerator, number]> = [
  [randomBody, 20],
  [mutated, 30],
  [wrongType, 20],
  [oversize, 4],
  [hostileHeaders, 16],
  [wrongRoute, 10],
];
