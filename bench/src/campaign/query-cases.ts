import { BAD_KEYS, INJECTIONS, WRONG_TYPES, urlSafe } from './hostile-values.js';
import { mutateBytes, pickOf, randInt, randomBytes, type Rand } from './mutate.js';
import { utf8, type CaseContext, type CaseGenerator, type HostileRequest } from './request.js';

const QUERY_FIELDS = ['site_id', 'metrics', 'date_range', 'dimensions', 'filters', 'order_by', 'limit', 'offset', 'compare', 'timezone', 'include_bots'] as const;

function sampleQuery(r: Rand, siteId: string): Record<string, unknown> {
  return {
    site_id: siteId,
    metrics: pickOf(r, [['events'], ['visitors', 'pageviews'], ['bounce_rate', 'visit_duration']]),
    date_range: pickOf(r, ['7d', 'today', { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }]),
    dimensions: pickOf(r, [[], ['page'], ['time:hour'], ['prop:plan', 'country']]),
    filters: [['is', 'country', ['DE']]],
    order_by: [],
    limit: 10,
    offset: 0,
    timezone: 'UTC',
    include_bots: true,
  };
}

const json = (v: unknown): Uint8Array => utf8(JSON.stringify(v));
const readKey = (c: CaseContext): string => pickOf(c.r, c.t.hostileReadKeys);

function post(c: CaseContext, family: string, path: string, body: Uint8Array | undefined, auth: string, mayAccept: boolean, type = 'application/json'): HostileRequest {
  const headers: Array<[string, string]> = [];
  if (type) headers.push(['content-type', type]);
  if (auth) headers.push(['authorization', auth]);
  return { target: 'query', family, method: 'POST', path, headers, ...(body ? { body } : {}), mayAccept };
}

const badJson: CaseGenerator = (c) => {
  const valid = json(sampleQuery(c.r, c.t.hostileSiteId));
  if (c.r() < 0.3) return post(c, 'query_random_bytes', '/v1/query', randomBytes(c.r, randInt(c.r, 2048)), `Bearer ${readKey(c)}`, false);
  const m = mutateBytes(c.r, valid, json(sampleQuery(c.r, c.t.hostileSiteId)));
  return post(c, `query_mutated_${m.kind}`, '/v1/query', m.bytes, `Bearer ${readKey(c)}`, true);
};

const wrongField: CaseGenerator = (c) => {
  const q = sampleQuery(c.r, c.t.hostileSiteId);
  const field = pickOf(c.r, QUERY_FIELDS);
  const injection = c.r() < 0.5;
  const value = injection ? pickOf(c.r, INJECTIONS) : pickOf(c.r, WRONG_TYPES);
  const kind = randInt(c.r, 4);
  // Injection strings go both as a whole field and inside the places values and names hide.
  if (kind === 0) q[field] = value;
  else if (kind === 1) q['filters'] = [[pickOf(c.r, ['is', 'is_not', 'contains', 'matches', value]), pickOf(c.r, ['page', 'country', 'prop:plan', `prop:${String(value)}`, value]), [value]]];
  else if (kind === 2) q['dimensions'] = [pickOf(c.r, ['page', `prop:${String(value)}`, `time:${String(value)}`, value])];
  else q['order_by'] = [[pickOf(c.r, ['events', value]), pickOf(c.r, ['asc', 'desc', value])]];
  return post(c, injection ? 'query_injection' : 'query_wrong_types', '/v1/query', json(q), `Bearer ${readKey(c)}`, true);
};

const isolation: CaseGenerator = (c) => {
  const q = sampleQuery(c.r, c.t.validSiteId);
  return post(c, 'query_other_merchant_site', '/v1/query', json(q), `Bearer ${readKey(c)}`, false);
};

const badAuth: CaseGenerator = (c) => {
  const body = json(sampleQuery(c.r, c.t.hostileSiteId));
  if (c.r() < 0.3) {
    const req = post(c, 'query_duplicated_authorization', '/v1/query', body, `Bearer ${readKey(c)}`, false);
    req.headers.push(['authorization', pickOf(c.r, BAD_KEYS)]);
    return req;
  }
  if (c.r() < 0.3) return post(c, 'query_content_type_lie', '/v1/query', body, `Bearer ${readKey(c)}`, true, pickOf(c.r, ['text/plain', 'application/msgpack', 'multipart/form-data', 'application/json; charset=utf-16', '']));
  return post(c, 'query_bad_key', '/v1/query', body, pickOf(c.r, [...BAD_KEYS, `Bearer ${c.t.hostileWriteKey}`, `Bearer ${c.t.adminToken}`]), false);
};

const realtime: CaseGenerator = (c) => {
  const kind = randInt(c.r, 3);
  const site = kind === 0 ? urlSafe(pickOf(c.r, INJECTIONS)) : kind === 1 ? c.t.validSiteId : `${c.t.hostileSiteId}&site_id=${c.t.validSiteId}`;
  const auth = c.r() < 0.2 ? pickOf(c.r, BAD_KEYS) : `Bearer ${readKey(c)}`;
  const headers: Array<[string, string]> = auth ? [['authorization', auth]] : [];
  // Kind 2 repeats site_id: taking the hostile site (its own) is a legitimate 200.
  return { target: 'query', family: 'realtime_bad_site', method: 'GET', path: `/v1/realtime?site_id=${site}`, headers, mayAccept: kind === 2 };
};

function adminRoute(c: CaseContext): { method: string; path: string; body?: unknown } {
  const bogusId = pickOf(c.r, [urlSafe(pickOf(c.r, INJECTIONS)), `s_${'0'.repeat(16)}`, 'rp_0000000000000000', '..%2F..%2Fx']);
  const v = c.r() < 0.5 ? pickOf(c.r, WRONG_TYPES) : pickOf(c.r, INJECTIONS);
  return pickOf(c.r, [
    { method: 'POST', path: '/v1/admin/merchants', body: { name: v } },
    { method: 'POST', path: '/v1/admin/sites', body: { merchant_id: v, domain: v, timezone: pickOf(c.r, ['Mars/Olympus', v]) } },
    { method: 'POST', path: '/v1/admin/keys', body: { merchant_id: v } },
    { method: 'DELETE', path: `/v1/admin/keys/${bogusId}` },
    // Never the counted site: excluded_paths on it would (rightly) drop valid events.
    { method: 'PATCH', path: `/v1/admin/sites/${pickOf(c.r, [bogusId, c.t.hostileSiteId])}`, body: { settings: { excluded_paths: v } } },
    { method: 'POST', path: '/v1/admin/replays', body: { from: v, to: pickOf(c.r, ['2020-01-01T00:00:00Z', v]), site_id: c.t.hostileSiteId } },
    { method: 'GET', path: `/v1/admin/replays/${bogusId}` },
  ]);
}

const admin: CaseGenerator = (c) => {
  const route = adminRoute(c);
  const goodToken = c.r() < 0.5;
  const auth = goodToken ? `Bearer ${c.t.adminToken}` : pickOf(c.r, [...BAD_KEYS, `Bearer ${readKey(c)}`, `Bearer ${c.t.adminToken}x`, `Bearer ${c.t.adminToken.slice(0, -1)}`]);
  const headers: Array<[string, string]> = [['content-type', 'application/json']];
  if (auth) headers.push(['authorization', auth]);
  let body: Uint8Array | undefined = route.body === undefined ? undefined : json(route.body);
  if (body && goodToken && c.r() < 0.3) body = mutateBytes(c.r, body, json(route.body)).bytes;
  // With the right token an injection string can be a legitimate merchant name: 2xx allowed there.
  return { target: 'query', family: goodToken ? 'admin_bad_input' : 'admin_bad_token', method: route.method, path: route.path, headers, ...(body ? { body } : {}), mayAccept: goodToken };
};

const wrongRoute: CaseGenerator = (c) => {
  const method = pickOf(c.r, ['GET', 'PUT', 'DELETE', 'PATCH', 'POST'] as const);
  const path = pickOf(c.r, ['/v1/query/', '/v1/Query', '/v1/admin', '/v1/admin/', '/v1/admin/../query', '/v2/query', '/%2e%2e/etc/passwd', `/${'q'.repeat(8000)}`, '/v1/batch', '/v1/admin/merchants/x/y/z', '/openapi.json/x']);
  const headers: Array<[string, string]> = [['authorization', `Bearer ${readKey(c)}`]];
  const withBody = method !== 'GET' && method !== 'DELETE';
  return { target: 'query', family: 'query_unknown_route', method, path, headers, ...(withBody ? { body: utf8('{}') } : {}), mayAccept: false };
};

const wrongMethod: CaseGenerator = (c) => {
  const [method, path] = pickOf(c.r, [['GET', '/v1/query'], ['PUT', '/v1/query'], ['DELETE', '/v1/realtime'], ['POST', '/v1/realtime'], ['PUT', '/v1/admin/merchants'], ['GET', '/v1/admin/sites'], ['POST', '/healthz']] as const);
  const headers: Array<[string, string]> = [['authorization', `Bearer ${readKey(c)}`]];
  return { target: 'query', family: 'query_wrong_method', method, path, headers, ...(method === 'GET' || method === 'DELETE' ? {} : { body: utf8('{}') }), mayAccept: false };
};

export const QUERY_CASES: ReadonlyArray<[CaseGenerator, number]> = [
  [badJson, 20],
  [wrongField, 30],
  [isolation, 5],
  [badAuth, 12],
  [realtime, 8],
  [admin, 15],
  [wrongRoute, 5],
  [wrongMethod, 5],
];
