import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, filenameFromDisposition, parseQueryResponse, parseRealtime, parseSites } from './api.js';
import { ApiError, describeError } from './errors.js';

describe('response parsing', () => {
  it('reads results, comparisons and complete_through', () => {
    const r = parseQueryResponse({
      results: [{ dimensions: [], metrics: [10, 42.5], comparison: { dimensions: [], metrics: [5, 40], change: [100, 2.5] } }],
      meta: { complete_through: '2026-11-26T15:00:00.000Z' },
    });
    expect(r).toEqual({
      rows: [{ dimensions: [], metrics: [10, 42.5], comparison: [5, 40], comparisonDimensions: [] }],
      completeThrough: Date.parse('2026-11-26T15:00:00Z'),
    });
    // A series row names the compared bucket its comparison is of.
    const series = parseQueryResponse({
      results: [
        { dimensions: ['2026-11-26T00:00:00+01:00'], metrics: [3], comparison: { dimensions: ['2026-11-25T00:00:00+01:00'], metrics: [2], change: [50] } },
        { dimensions: ['2026-11-27T00:00:00+01:00'], metrics: [4] },
      ],
      meta: {},
    });
    expect(series.rows[0]).toMatchObject({ comparison: [2], comparisonDimensions: ['2026-11-25T00:00:00+01:00'] });
    expect(series.rows[1]).toEqual({ dimensions: ['2026-11-27T00:00:00+01:00'], metrics: [4], comparison: null });
    expect(parseQueryResponse({ results: [], meta: { complete_through: null } }).completeThrough).toBeNull();
    // The currencies a revenue answer adds up, when the API names them.
    expect(parseQueryResponse({ results: [], meta: { revenue_currencies: ['EUR', 'USD'] } }).revenueCurrencies).toEqual(['EUR', 'USD']);
    expect(parseQueryResponse({ results: [], meta: { revenue_currencies: [] } }).revenueCurrencies).toEqual([]);
    expect(parseQueryResponse({ results: [], meta: {} })).not.toHaveProperty('revenueCurrencies');
    expect(parseQueryResponse({ results: [], meta: { revenue_currencies: 'EUR' } })).not.toHaveProperty('revenueCurrencies');
    expect(parseQueryResponse({ results: [], meta: { revenue_currencies: ['EUR', 7, ''] } }).revenueCurrencies).toEqual(['EUR']);
    expect(() => parseQueryResponse({ rows: [] })).toThrow(ApiError);
  });

  it('reads sites and realtime answers', () => {
    expect(parseSites({ sites: [{ site_id: 's_1', domain: 'a.com', timezone: 'Europe/Paris', created_at: 1_700_000_000_000 }, { nope: 1 }] })).toEqual([
      { site_id: 's_1', domain: 'a.com', timezone: 'Europe/Paris', created_at: 1_700_000_000_000 },
    ]);
    // Where "All time" starts; a list that does not say (or says nonsense) leaves it unknown.
    expect(parseSites({ sites: [{ site_id: 's_2' }, { site_id: 's_3', created_at: '2024-01-01' }] })).toEqual([
      { site_id: 's_2', domain: 's_2', timezone: 'UTC', created_at: null },
      { site_id: 's_3', domain: 's_3', timezone: 'UTC', created_at: null },
    ]);
    expect(() => parseSites({})).toThrow(/sites/);
    expect(
      parseRealtime({
        visitors: 3,
        pageviews_per_minute: [
          { minute: '2026-11-26T16:21:00+01:00', pageviews: 2 },
          { minute: '2026-11-26T16:20:00+01:00', pageviews: 5 },
        ],
        meta: { complete_through: '2026-11-26T15:21:30.000Z' },
      }),
    ).toEqual({
      visitors: 3,
      perMinute: [
        { minute: Date.parse('2026-11-26T15:20:00Z'), pageviews: 5 },
        { minute: Date.parse('2026-11-26T15:21:00Z'), pageviews: 2 },
      ],
      completeThrough: Date.parse('2026-11-26T15:21:30Z'),
    });
    expect(() => parseRealtime({ pageviews_per_minute: [] })).toThrow(/visitors/);
  });
});

describe('API client over real HTTP', () => {
  let server: Server;
  let base = '';
  const seen: { auth: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body });
        res.setHeader('content-type', 'application/json');
        if (req.headers.authorization !== 'Bearer rk_good') {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'unknown or revoked read key' } }));
        } else if (req.url === '/v1/sites') {
          res.end(JSON.stringify({ sites: [{ site_id: 's_x', domain: 'x.test', timezone: 'UTC', created_at: 1_700_000_000_000 }] }));
        } else if (req.url === '/v1/query') {
          res.statusCode = 429;
          res.setHeader('retry-after', '7');
          res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }));
        } else {
          res.statusCode = 500;
          res.end('not json');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the read key and parses answers', async () => {
    const sites = await createApiClient({ readKey: 'rk_good', baseUrl: base }).sites();
    expect(sites).toEqual([{ site_id: 's_x', domain: 'x.test', timezone: 'UTC', created_at: 1_700_000_000_000 }]);
    expect(seen.at(-1)?.auth).toBe('Bearer rk_good');
  });

  it('turns error answers into typed errors with a clear message', async () => {
    const bad = createApiClient({ readKey: 'rk_bad', baseUrl: base });
    const e1 = await bad.sites().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ApiError);
    expect((e1 as ApiError).isAuth).toBe(true);
    expect(describeError(e1)).toBe('This read key is not valid (unknown or revoked).');

    const good = createApiClient({ readKey: 'rk_good', baseUrl: base });
    const e2 = (await good.query({ site_id: 's_x', metrics: ['visitors'], date_range: { from: 'a', to: 'b' } }).catch((e: unknown) => e)) as ApiError;
    expect(e2.code).toBe('rate_limited');
    expect(e2.retryAfterSeconds).toBe(7);
    expect(describeError(e2)).toBe('Too many requests for this read key. Try again in 7 s.');
    expect(JSON.parse(seen.at(-1)!.body)).toMatchObject({ site_id: 's_x' });

    const e3 = (await good.realtime('s_x').catch((e: unknown) => e)) as ApiError;
    expect(e3.status).toBe(500);
    expect(describeError(e3)).toMatch(/query API failed \(500\)/);
  });

  it('reports an unreachable API as a network error', async () => {
    const down = createApiClient({ readKey: 'rk_good', baseUrl: 'http://127.0.0.1:9' });
    const e = (await down.sites().catch((err: unknown) => err)) as ApiError;
    expect(e.code).toBe('network');
    expect(describeError(e)).toMatch(/Cannot reach/);
  });
});

describe('CSV downloads', () => {
  const BODY = { site_id: 's_abcdefghij012345', metrics: ['visitors' as const], date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' } };

  /** A client whose fetch answers `response` and records what it was asked. */
  function clientAnswering(response: () => Response) {
    const asked: { url: string; init: RequestInit }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      asked.push({ url, init });
      return response();
    }) as unknown as typeof globalThis.fetch;
    return { client: createApiClient({ readKey: 'rk_good', baseUrl: 'http://api.test/', fetch }), asked };
  }

  it('asks the query with Accept: text/csv and the read key, and keeps the server\'s file name', async () => {
    const csv = 'page,visitors\r\n/pricing,2\r\n';
    const { client, asked } = clientAnswering(
      () =>
        new Response(csv, {
          headers: { 'content-type': 'text/csv; charset=utf-8; header=present', 'content-disposition': 'attachment; filename="pulse-s_abcdefghij012345-20261120T000000Z-20261127T000000Z.csv"' },
        }),
    );
    const file = await client.queryCsv(BODY);
    expect(file.filename).toBe('pulse-s_abcdefghij012345-20261120T000000Z-20261127T000000Z.csv');
    expect(await file.blob.text()).toBe(csv);
    expect(file.blob.type).toMatch(/^text\/csv/);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.url).toBe('http://api.test/v1/query');
    expect(asked[0]?.init.method).toBe('POST');
    expect(asked[0]?.init.headers).toMatchObject({ accept: 'text/csv', authorization: 'Bearer rk_good', 'content-type': 'application/json' });
    expect(JSON.parse(String(asked[0]?.init.body))).toEqual(BODY);
  });

  it('turns the API\'s JSON errors into typed errors, and an answer that is not CSV into bad_response', async () => {
    const json = (status: number, error: unknown, headers: Record<string, string> = {}) => () =>
      new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json', ...headers } });
    const e404 = (await clientAnswering(json(404, { code: 'not_found', message: 'site not found' })).client.queryCsv(BODY).catch((e: unknown) => e)) as ApiError;
    expect([e404.code, e404.status, describeError(e404)]).toEqual(['not_found', 404, 'This site does not exist or your read key cannot see it.']);
    const e429 = (await clientAnswering(json(429, { code: 'rate_limited', message: 'slow down' }, { 'retry-after': '3' })).client.queryCsv(BODY).catch((e: unknown) => e)) as ApiError;
    expect([e429.code, e429.retryAfterSeconds]).toEqual(['rate_limited', 3]);
    const e401 = (await clientAnswering(json(401, { code: 'unauthorized', message: 'no' })).client.queryCsv(BODY).catch((e: unknown) => e)) as ApiError;
    expect(e401.isAuth).toBe(true);
    const e500 = (await clientAnswering(() => new Response('gateway broke', { status: 502 })).client.queryCsv(BODY).catch((e: unknown) => e)) as ApiError;
    expect([e500.code, e500.status]).toEqual(['http_502', 502]);
    const notCsv = (await clientAnswering(() => new Response('{"results":[]}', { headers: { 'content-type': 'application/json' } })).client.queryCsv(BODY).catch((e: unknown) => e)) as ApiError;
    expect(notCsv).toBeInstanceOf(ApiError);
    expect(notCsv.code).toBe('bad_response');
  });

  it('reads the file name of a Content-Disposition header as a bare name', () => {
    expect(filenameFromDisposition('attachment; filename="pulse-s_x-1-2.csv"')).toBe('pulse-s_x-1-2.csv');
    expect(filenameFromDisposition('attachment; filename=report.csv')).toBe('report.csv');
    expect(filenameFromDisposition('attachment; filename="a \\"b\\".csv"')).toBe('a "b".csv');
    // RFC 6266: filename* (UTF-8) wins over filename.
    expect(filenameFromDisposition(`attachment; filename="fallback.csv"; filename*=UTF-8''stra%C3%9Fe.csv`)).toBe('straße.csv');
    // Never a path: only the last segment, without control characters.
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromDisposition('attachment; filename="C:\\\\x\\\\y.csv"')).toBe('y.csv');
    expect(filenameFromDisposition('attachment; filename="a\u0007b.csv"')).toBe('ab.csv');
    expect(filenameFromDisposition('attachment; filename=".."')).toBeNull();
    expect(filenameFromDisposition('attachment')).toBeNull();
    expect(filenameFromDisposition(null)).toBeNull();
  });
});
