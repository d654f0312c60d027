import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, parseQueryResponse, parseRealtime, parseSites } from './api.js';
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
    expect(parseSites({ sites: [{ site_id: 's_1', domain: 'a.com', timezone: 'Europe/Paris' }, { nope: 1 }] })).toEqual([
      { site_id: 's_1', domain: 'a.com', timezone: 'Europe/Paris' },
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
          res.end(JSON.stringify({ sites: [{ site_id: 's_x', domain: 'x.test', timezone: 'UTC' }] }));
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
    expect(sites).toEqual([{ site_id: 's_x', domain: 'x.test', timezone: 'UTC' }]);
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
