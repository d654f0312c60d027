import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_INVALIDATE_SUBJECT, createQueryApi, silentLogger } from '../src/index.js';
import { FUNNEL_REQUEST_SCHEMA } from '../src/query/funnel-schema.js';
import { ADMIN_TOKEN, call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Tenant } from './harness.js';

/** The clock of the API under test; the funnels' range is the three days before it. */
const NOW = Date.parse('2026-02-13T12:00:00Z');
const RANGE = { from: '2026-02-10T00:00:00Z', to: '2026-02-13T00:00:00Z' };

let h: Harness;
let t: Tenant;
let other: Tenant;

/**
 * One visit: `[HH:MM, what]` pairs, `what` a path (a pageview) or an event name. Every visit has
 * its own session id; `extra` goes on every event, `first` on the first one only.
 */
function visit(visitor: string, session: string, day: number, steps: [string, string][], extra: Record<string, unknown> = {}, first: Record<string, unknown> = {}) {
  return steps.map(([hm, what], i) =>
    eventRow({
      site_id: t.siteId,
      ts: `2026-02-${String(day).padStart(2, '0')}T${hm}:00Z`,
      visitor_id: visitor,
      session_id: session,
      ...(what.startsWith('/') ? { path: what } : { name: what, path: '/checkout' }),
      ...extra,
      ...(i === 0 ? first : {}),
    }),
  );
}

/**
 * The scripted visits (site in UTC), and where each gets in the funnel A = / → /pricing → signup:
 *
 * V1 a  02-10 / · /pricing · signup                          → 3
 * V2 b  02-10 /pricing · / · signup       (out of order)      → 1
 * V3 c  02-10 / · /about · /pricing · /blog/x · signup (from Google: the visit's source) → 3
 * V4 d  02-10 / · signup                  (skips /pricing)    → 1
 * V5 e  02-11 / · /pricing                                    → 2
 * V6 f  02-11 /pricing                    (never enters)      → 0
 * V7 h  02-11 / · /pricing · signup       (US)                → 3
 * bot g 02-11 / · /pricing · signup       (is_bot)            → 3 with include_bots, else left out
 * V8 i  02-12 /blog/post-1 · /blog/post-2 · /pricing          → 0
 * V9 j  02-12 /blog · /pricing                                → 0
 * k1 k  02-10 20:00 /   · k2 k 02-11 08:00 signup (12 h later, another visit)
 * m1 m  02-10 09:00 /   · m2 m 02-12 09:30 signup (48.5 h later)
 * late n 02-13 00:00 / · /pricing · signup (just outside: `to` is exclusive)
 *
 * The three days before (the previous period), for `compare`:
 *
 * P1 pa 02-07 / · /pricing · signup        → 3
 * P2 pb 02-08 / · /pricing                 → 2
 * P3 pc 02-09 /                            → 1
 * P4 pd 02-09 / · signup                   → 1
 * P5 pf 02-08 / · /pricing · signup  (US)  → 3
 */
async function seed(): Promise<void> {
  await insertEvents(h.storage, [
    ...visit('a', 'a1', 10, [['10:00', '/'], ['10:01', '/pricing'], ['10:02', 'signup']]),
    ...visit('b', 'b1', 10, [['11:00', '/pricing'], ['11:01', '/'], ['11:02', 'signup']]),
    ...visit('c', 'c1', 10, [['12:00', '/'], ['12:01', '/about'], ['12:05', '/pricing'], ['12:06', '/blog/x'], ['12:10', 'signup']], {}, { source: 'Google', referrer_host: 'google.com' }),
    ...visit('d', 'd1', 10, [['13:00', '/'], ['13:05', 'signup']]),
    ...visit('e', 'e1', 11, [['09:00', '/'], ['09:01', '/pricing']]),
    ...visit('f', 'f1', 11, [['10:00', '/pricing']]),
    ...visit('h', 'h1', 11, [['14:00', '/'], ['14:01', '/pricing'], ['14:02', 'signup']], { country: 'US' }),
    ...visit('g', 'g1', 11, [['15:00', '/'], ['15:01', '/pricing'], ['15:02', 'signup']], { is_bot: 1 }),
    ...visit('i', 'i1', 12, [['08:00', '/blog/post-1'], ['08:01', '/blog/post-2'], ['08:03', '/pricing']]),
    ...visit('j', 'j1', 12, [['08:00', '/blog'], ['08:01', '/pricing']]),
    ...visit('k', 'k1', 10, [['20:00', '/']]),
    ...visit('k', 'k2', 11, [['08:00', 'signup']]),
    ...visit('m', 'm1', 10, [['09:00', '/']]),
    ...visit('m', 'm2', 12, [['09:30', 'signup']]),
    ...visit('n', 'n1', 13, [['00:00', '/'], ['00:01', '/pricing'], ['00:02', 'signup']]),
    ...visit('pa', 'pa1', 7, [['10:00', '/'], ['10:01', '/pricing'], ['10:02', 'signup']]),
    ...visit('pb', 'pb1', 8, [['10:00', '/'], ['10:01', '/pricing']]),
    ...visit('pc', 'pc1', 9, [['10:00', '/']]),
    ...visit('pd', 'pd1', 9, [['11:00', '/'], ['11:01', 'signup']]),
    ...visit('pf', 'pf1', 8, [['12:00', '/'], ['12:01', '/pricing'], ['12:02', 'signup']], { country: 'US' }),
  ]);
}

beforeAll(async () => {
  h = await startHarness({ now: () => NOW, rateLimit: { perSecond: 1000, burst: 1000 } });
  t = await createTenant(h.url);
  other = await createTenant(h.url, { domain: 'other.example' });
  await seed();
});
afterAll(async () => h?.close());

const FUNNEL_A = [{ page: '/' }, { page: '/pricing', label: 'Pricing' }, { event: 'signup' }];
const FUNNEL_C = [{ page: '/' }, { event: 'signup' }];

async function funnel(body: Record<string, unknown>, tenant: Tenant = t) {
  const r = await call(h.url, 'POST', '/v1/funnel', { token: tenant.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/** Each step as [count, conversion_rate, conversion_rate_step, dropoff]; the count field named by scope. */
async function counts(body: Record<string, unknown>): Promise<number[][]> {
  const r = await funnel(body);
  const field = body.scope === 'visitor' ? 'visitors' : 'visits';
  return r.body.steps.map((s: Record<string, number>) => [s[field] as number, s.conversion_rate as number, s.conversion_rate_step as number, s.dropoff as number]);
}

describe('visit funnels', () => {
  it('counts visits through ordered steps, other events between them allowed', async () => {
    const r = await funnel({ steps: FUNNEL_A });
    expect(r.body.steps).toEqual([
      // V1 V2 V3 V4 V5 V7 k1 m1
      { label: 'Visit /', step: { page: '/' }, visits: 8, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0 },
      // V1 V3 V5 V7
      { label: 'Pricing', step: { page: '/pricing' }, visits: 4, conversion_rate: 50, conversion_rate_step: 50, dropoff: 4 },
      // V1 V3 V7
      { label: 'signup', step: { event: 'signup' }, visits: 3, conversion_rate: 37.5, conversion_rate_step: 75, dropoff: 1 },
    ]);
    expect(r.body.meta).toEqual({
      site_id: t.siteId,
      scope: 'visit',
      window_seconds: null,
      timezone: 'UTC',
      date_range: { from: '2026-02-10T00:00:00.000Z', to: '2026-02-13T00:00:00.000Z' },
      // Fallback freshness: the newest received_at in storage (the late visit's signup).
      complete_through: '2026-02-13T00:02:00.100Z',
      source_table: 'events',
    });
    expect(r.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('counts steps only in their order: reversed, the visits that saw / before /pricing stop at step 1', async () => {
    // Only V2 saw / after /pricing; every visit with a /pricing enters.
    expect(await counts({ steps: [{ page: '/pricing' }, { page: '/' }, { event: 'signup' }] })).toEqual([
      [8, 100, 100, 0], // V1 V2 V3 V5 V6 V7 V8 V9
      [1, 12.5, 12.5, 7], // V2
      [1, 12.5, 100, 0], // V2
    ]);
  });

  it('matches wildcard pages with * (any run of characters, / included), not the bare prefix', async () => {
    expect(await counts({ steps: [{ page: '/blog/*' }, { page: '/pricing' }] })).toEqual([
      [2, 100, 100, 0], // V3 (its /pricing came before the blog) and V8; V9's /blog is no /blog/…
      [1, 50, 50, 1], // V8
    ]);
    // One event is never two consecutive steps: V8's /blog/post-1 is step 1, and no /blog/post-1 follows.
    expect(await counts({ steps: [{ page: '/blog/*' }, { page: '/blog/post-1' }] })).toEqual([
      [2, 100, 100, 0],
      [0, 0, 0, 2],
    ]);
  });

  it('applies event filters to the events and visit-attribute filters to whole visits', async () => {
    // V7 (US) is left out.
    expect(await counts({ steps: FUNNEL_A, filters: [['is', 'country', ['DE']]] })).toEqual([
      [7, 100, 100, 0],
      [3, 42.86, 42.86, 4],
      [2, 28.57, 66.67, 1],
    ]);
    expect(await counts({ steps: FUNNEL_A, filters: [['is', 'country', ['us'], { case_sensitive: false }]] })).toEqual([
      [1, 100, 100, 0],
      [1, 100, 100, 0],
      [1, 100, 100, 0],
    ]);
    // Only V3 came from Google; its later events (no source of their own) count as the visit's.
    expect(await counts({ steps: FUNNEL_A, filters: [['is', 'source', ['Google']]] })).toEqual([
      [1, 100, 100, 0],
      [1, 100, 100, 0],
      [1, 100, 100, 0],
    ]);
    // An event filter can take a step's events away: without /pricing nobody gets past step 1.
    expect(await counts({ steps: FUNNEL_A, filters: [['is_not', 'page', ['/pricing']]] })).toEqual([
      [8, 100, 100, 0],
      [0, 0, 0, 8],
      [0, 0, 0, 0],
    ]);
  });

  it('leaves bots out unless include_bots', async () => {
    expect((await counts({ steps: FUNNEL_A, include_bots: true })).map((s) => s[0])).toEqual([9, 5, 4]);
  });
});

describe('visitor funnels', () => {
  it('follows a visitor across visits within the window from step 1, not beyond', async () => {
    // Per visit, k's / and signup are in two visits and m's too.
    expect(await counts({ steps: FUNNEL_C })).toEqual([
      [8, 100, 100, 0], // V1 V2 V3 V4 V5 V7 k1 m1
      [5, 62.5, 62.5, 3], // V1 V2 V3 V4 V7
    ]);
    const day = await funnel({ steps: FUNNEL_C, scope: 'visitor' });
    expect(day.body.steps.map((s: Record<string, number>) => [s.visitors, s.visits, s.conversion_rate, s.dropoff])).toEqual([
      [8, undefined, 100, 0], // a b c d e h k m
      [6, undefined, 75, 2], // a b c d h k (k's signup 12 h after its /); m's 48.5 h is past the day
    ]);
    expect(day.body.meta).toMatchObject({ scope: 'visitor', window_seconds: 86_400 });
    expect(await counts({ steps: FUNNEL_C, scope: 'visitor', window_seconds: 3 * 86_400 })).toEqual([
      [8, 100, 100, 0],
      [7, 87.5, 87.5, 1],
    ]);
    // 12 hours exactly is in the window (k), a second less is not.
    expect((await counts({ steps: FUNNEL_C, scope: 'visitor', window_seconds: 12 * 3600 })).map((s) => s[0])).toEqual([8, 6]);
    expect((await counts({ steps: FUNNEL_C, scope: 'visitor', window_seconds: 12 * 3600 - 1 })).map((s) => s[0])).toEqual([8, 5]);
  });

  it('filters visitors\' events by their visits\' attributes', async () => {
    expect(await counts({ steps: FUNNEL_C, scope: 'visitor', filters: [['is', 'source', ['Google']]] })).toEqual([
      [1, 100, 100, 0],
      [1, 100, 100, 0],
    ]);
  });
});

/** Each step's comparison as [count, conversion_rate, conversion_rate_step, dropoff, then the change of each]. */
async function compared(body: Record<string, unknown>): Promise<(number | null)[][]> {
  const r = await funnel(body);
  const field = body.scope === 'visitor' ? 'visitors' : 'visits';
  const figures = [field, 'conversion_rate', 'conversion_rate_step', 'dropoff'];
  return r.body.steps.map((s: { comparison: Record<string, number> & { change: Record<string, number | null> } }) => [
    ...figures.map((k) => s.comparison[k] as number),
    ...figures.map((k) => s.comparison.change[k] as number | null),
  ]);
}

describe('compared funnels', () => {
  it('counts the same funnel over the previous period, each step with its compared figures and change', async () => {
    const r = await funnel({ steps: FUNNEL_A, compare: 'previous_period' });
    // The step's own figures are unchanged by compare.
    expect(r.body.steps.map(({ comparison: _, ...s }: Record<string, unknown>) => s)).toEqual((await funnel({ steps: FUNNEL_A })).body.steps);
    expect(r.body.meta.compare_range).toEqual({ from: '2026-02-07T00:00:00.000Z', to: '2026-02-10T00:00:00.000Z' });
    // 02-07..02-09: P1 P2 P3 P4 P5 enter; P1 P2 P5 see /pricing; P1 P5 sign up. Now 8, 4, 3 (100/50/37.5, 100/50/75, 0/4/1).
    expect(r.body.steps[0].comparison).toEqual({
      visits: 5,
      conversion_rate: 100,
      conversion_rate_step: 100,
      dropoff: 0,
      change: { visits: 60, conversion_rate: 0, conversion_rate_step: 0, dropoff: 0 },
    });
    expect(await compared({ steps: FUNNEL_A, compare: 'previous_period' })).toEqual([
      [5, 100, 100, 0, 60, 0, 0, 0],
      [3, 60, 60, 2, 33.3, -10, -10, 100], // 4 against 3: +33.3 %; 50 % against 60 %: -10 points; dropoff 4 against 2: +100 %
      [2, 40, 66.67, 1, 50, -2.5, 8.33, 0],
    ]);
  });

  it('applies the filters, scope and window to the compared range too', async () => {
    // DE only: P5 (US) is left out there as V7 is here (now 7, 3, 2: 100/42.86/28.57, 100/42.86/66.67).
    expect(await compared({ steps: FUNNEL_A, compare: 'previous_period', filters: [['is', 'country', ['DE']]] })).toEqual([
      [4, 100, 100, 0, 75, 0, 0, 0],
      [2, 50, 50, 2, 50, -7.14, -7.14, 100],
      [1, 25, 50, 1, 100, 3.57, 16.67, 0],
    ]);
    // Visitors: pa pb pc pd pf enter, pa pd pf sign up; now 8 and 6 (100, 75).
    expect(await compared({ steps: FUNNEL_C, scope: 'visitor', compare: 'previous_period' })).toEqual([
      [5, 100, 100, 0, 60, 0, 0, 0],
      [3, 60, 60, 2, 100, 15, 15, 0],
    ]);
  });

  it('compares with a custom range: no percentage from nothing', async () => {
    const compare = { from: '2026-02-08T00:00:00Z', to: '2026-02-09T00:00:00Z' };
    const r = await funnel({ steps: FUNNEL_A, compare });
    expect(r.body.meta.compare_range).toEqual({ from: '2026-02-08T00:00:00.000Z', to: '2026-02-09T00:00:00.000Z' });
    // 02-08: P2 and P5 enter and see /pricing, P5 signs up.
    expect(await compared({ steps: FUNNEL_A, compare })).toEqual([
      [2, 100, 100, 0, 300, 0, 0, 0],
      [2, 100, 100, 0, 100, -50, -50, null], // a dropoff of 4 from 0
      [1, 50, 50, 1, 200, -12.5, 25, 0],
    ]);
  });

  it('refuses bad compare input with a 400 naming the field, as /v1/query does', async () => {
    const at = async (path: string, body: Record<string, unknown>) => {
      const r = await call(h.url, 'POST', path, { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body } });
      expect([r.status, r.body.error.code]).toEqual([400, 'invalid_request']);
      return r.body.error.message as string;
    };
    const bad = async (compare: unknown) => {
      const message = await at('/v1/funnel', { steps: FUNNEL_A, compare });
      expect(await at('/v1/query', { metrics: ['visits'], compare })).toBe(message);
      return message;
    };
    expect(await bad('last_week')).toMatch(/^compare: /);
    expect(await bad({ from: '2026-02-08T00:00:00Z' })).toBe('compare.to: is required');
    expect(await bad({ from: '2026-02-09T00:00:00Z', to: '2026-02-08T00:00:00Z' })).toBe('compare.to: must be later than from');
    expect(await bad({ from: '2020-01-01T00:00:00Z', to: '2026-02-08T00:00:00Z' })).toBe('compare: may span at most 1098 days');
  });

  it("answers 404 for another merchant's site with compare too", async () => {
    const theirs = await call(h.url, 'POST', '/v1/funnel', { token: other.readKey, body: { site_id: t.siteId, date_range: RANGE, steps: FUNNEL_A, compare: 'previous_period' } });
    expect([theirs.status, theirs.body]).toEqual([404, { error: { code: 'not_found', message: 'site not found' } }]);
  });
});

const CSV_TYPE = 'text/csv; charset=utf-8; header=present';
const JSON_TYPE = 'application/json; charset=utf-8';

function funnelAs(accept: string, body: Record<string, unknown>, headers: Record<string, string> = {}, tenant: Tenant = t) {
  return call(h.url, 'POST', '/v1/funnel', { token: tenant.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body }, headers: { accept, ...headers } });
}

describe('funnels as CSV', () => {
  it("writes one record per step with the JSON answer's figures, a file name and the meta headers", async () => {
    const json = await funnel({ steps: FUNNEL_A });
    const csv = await funnelAs('text/csv', { steps: FUNNEL_A });
    expect(csv.status).toBe(200);
    expect(csv.body).toBe(
      'step,label,visits,conversion_rate,conversion_rate_step,dropoff\r\n' +
        '1,Visit /,8,100,100,0\r\n' +
        '2,Pricing,4,50,50,4\r\n' +
        '3,signup,3,37.5,75,1\r\n',
    );
    expect(csv.headers.get('content-type')).toBe(CSV_TYPE);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="pulse-${t.siteId}-20260210T000000Z-20260213T000000Z.csv"`);
    expect([csv.headers.get('vary'), json.headers.get('vary')]).toEqual(['Accept', 'Accept']);
    expect(csv.headers.get('x-pulse-complete-through')).toBe(json.body.meta.complete_through);
    // A funnel has no pages and no warnings.
    expect([csv.headers.get('x-pulse-has-more'), csv.headers.get('x-pulse-warnings')]).toEqual([null, null]);
    expect(csv.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(csv.headers.get('content-length')).toBe(String(Buffer.byteLength(csv.body)));
    expect(csv.headers.get('access-control-expose-headers')).toContain('Content-Disposition');
  });

  it('adds the compared figures and changes when compared, and guards labels a spreadsheet would run', async () => {
    const csv = await funnelAs('text/csv', { steps: FUNNEL_A, compare: 'previous_period' });
    expect(csv.body).toBe(
      'step,label,visits,conversion_rate,conversion_rate_step,dropoff,visits_previous,conversion_rate_previous,conversion_rate_step_previous,dropoff_previous,visits_change,conversion_rate_change,conversion_rate_step_change,dropoff_change\r\n' +
        '1,Visit /,8,100,100,0,5,100,100,0,60,0,0,0\r\n' +
        '2,Pricing,4,50,50,4,3,60,60,2,33.3,-10,-10,100\r\n' +
        '3,signup,3,37.5,75,1,2,40,66.67,1,50,-2.5,8.33,0\r\n',
    );
    const custom = await funnelAs('text/csv', { steps: FUNNEL_A, compare: { from: '2026-02-08T00:00:00Z', to: '2026-02-09T00:00:00Z' } });
    expect(custom.body.split('\r\n')[2]).toBe('2,Pricing,4,50,50,4,2,100,100,0,100,-50,-50,');
    const visitors = await funnelAs('text/csv', { steps: [{ page: '/', label: '=SUM(A1:A9)' }, { event: 'signup', label: '-signed, "up"' }], scope: 'visitor' });
    expect(visitors.body).toBe(
      'step,label,visitors,conversion_rate,conversion_rate_step,dropoff\r\n' + "1,'=SUM(A1:A9),8,100,100,0\r\n" + '2,"\'-signed, ""up""",6,75,75,2\r\n',
    );
  });

  it("answers 304 to the CSV's own ETag from the one cached entry, never to the JSON's", async () => {
    const body = { steps: [{ page: '/pricing' }, { event: 'signup' }], compare: 'previous_period' };
    const json = await funnel(body);
    const csv = await funnelAs('text/csv', body);
    expect(csv.headers.get('x-cache')).toBe('hit');
    const jsonTag = json.headers.get('etag') as string;
    const csvTag = csv.headers.get('etag') as string;
    expect(csvTag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(csvTag).not.toBe(jsonTag);
    const again = await funnelAs('text/csv', body, { 'if-none-match': csvTag });
    expect([again.status, again.body, again.headers.get('etag'), again.headers.get('vary')]).toEqual([304, undefined, csvTag, 'Accept']);
    const csvForJsonTag = await funnelAs('text/csv', body, { 'if-none-match': jsonTag });
    expect([csvForJsonTag.status, csvForJsonTag.body]).toEqual([200, csv.body]);
    expect((await funnelAs('application/json', body, { 'if-none-match': csvTag })).status).toBe(200);
    expect((await funnelAs('application/json', body, { 'if-none-match': jsonTag })).status).toBe(304);
  });

  it('answers 406 to an Accept that allows neither, after the read key, and keeps errors JSON', async () => {
    const refused = await funnelAs('application/xml', { steps: FUNNEL_A });
    expect([refused.status, refused.headers.get('content-type'), refused.headers.get('vary')]).toEqual([406, JSON_TYPE, 'Accept']);
    expect(refused.body).toEqual({
      error: { code: 'not_acceptable', message: 'cannot answer in a type the Accept header allows (application/xml); available: application/json, text/csv' },
    });
    expect((await call(h.url, 'POST', '/v1/funnel', { body: {}, headers: { accept: 'application/xml' } })).status).toBe(401);
    const bad = await funnelAs('text/csv', { steps: [{ page: '/' }], compare: 'previous_period' });
    expect([bad.status, bad.headers.get('content-type'), bad.body.error.code]).toEqual([400, JSON_TYPE, 'invalid_request']);
  });

  it("answers another merchant's site with the same JSON 404 as a missing one", async () => {
    for (const siteId of [t.siteId, 's_0000000000000000']) {
      const r = await funnelAs('text/csv', { steps: FUNNEL_A, site_id: siteId, compare: 'previous_period' }, {}, other);
      expect([r.status, r.headers.get('content-type'), r.body]).toEqual([404, JSON_TYPE, { error: { code: 'not_found', message: 'site not found' } }]);
    }
  });
});

describe('the gateway around funnels', () => {
  it("answers 404 for another merchant's site, exactly as for a missing one", async () => {
    const theirs = await call(h.url, 'POST', '/v1/funnel', { token: other.readKey, body: { site_id: t.siteId, date_range: RANGE, steps: FUNNEL_A } });
    const missing = await call(h.url, 'POST', '/v1/funnel', { token: other.readKey, body: { site_id: 's_0000000000000000', date_range: RANGE, steps: FUNNEL_A } });
    expect([theirs.status, theirs.body]).toEqual([404, { error: { code: 'not_found', message: 'site not found' } }]);
    expect([missing.status, missing.body]).toEqual([theirs.status, theirs.body]);
    expect((await call(h.url, 'POST', '/v1/funnel', { body: { site_id: t.siteId, date_range: RANGE, steps: FUNNEL_A } })).status).toBe(401);
  });

  it("spends the key's rate limit like every read route: 429 with Retry-After", async () => {
    const api = createQueryApi({ nats: h.nc, storage: h.storage, adminToken: ADMIN_TOKEN, port: 0, host: '127.0.0.1', logger: silentLogger, now: () => NOW, rateLimit: { perSecond: 1, burst: 2 } });
    const url = `http://127.0.0.1:${(await api.start()).port}`;
    try {
      const send = () => call(url, 'POST', '/v1/funnel', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, steps: FUNNEL_A } });
      const first = await send();
      expect([first.status, first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual([200, '2', '1']);
      expect((await call(url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, metrics: ['visits'] } })).status).toBe(200);
      const limited = await send();
      expect([limited.status, limited.body.error.code, limited.headers.get('x-ratelimit-remaining')]).toEqual([429, 'rate_limited', '0']);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await api.stop(100);
    }
  });

  it('refuses bad steps with a 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const r = await call(h.url, 'POST', '/v1/funnel', { token: t.readKey, body: { site_id: t.siteId, date_range: RANGE, ...body } });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      return r.body.error.message as string;
    };
    expect(await bad({ steps: [{ page: '/' }, { page: '/a' }, { page: 'pricing' }] })).toBe('steps[2].page: must start with /');
    expect(await bad({ steps: [{ page: '/' }] })).toBe('steps: must have at least 2 items');
    expect(await bad({ steps: [{ page: '/' }, { event: 'signup', page: '/x' }] })).toBe('steps[1]: has both "page" and "event"; a step is one of them');
    expect(await bad({ steps: FUNNEL_A, scope: 'visitor', window_seconds: 31 * 86_400 })).toBe('window_seconds: must be <= 2592000');
    expect(await bad({ steps: FUNNEL_A, filters: [['is', 'planet', ['x']]] })).toMatch(/^filters\[0\]\[1\]: /);
  });

  it('caches answers (ETag, 304) until the cache is invalidated, as after a replay swap', async () => {
    const body = { steps: [{ page: '/cache' }, { event: 'buy' }], date_range: { from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' } };
    await insertEvents(h.storage, visit('p', 'p1', 1, [['10:00', '/cache'], ['10:01', 'buy']]));
    const first = await funnel(body);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(first.body.steps.map((s: { visits: number }) => s.visits)).toEqual([1, 1]);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).not.toBe('');

    await insertEvents(h.storage, [eventRow({ site_id: t.siteId, ts: '2026-02-01T11:00:00Z', path: '/cache', visitor_id: 'q', session_id: 'q1' })]);
    const second = await funnel(body);
    expect([second.headers.get('x-cache'), second.headers.get('etag')]).toEqual(['hit', etag]);
    expect(second.body.steps.map((s: { visits: number }) => s.visits)).toEqual([1, 1]);
    const notModified = await call(h.url, 'POST', '/v1/funnel', { token: t.readKey, body: { site_id: t.siteId, ...body }, headers: { 'if-none-match': etag } });
    expect([notModified.status, notModified.body]).toEqual([304, undefined]);
    // A report and a funnel never share an entry, even over the same range.
    const report = await call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, date_range: body.date_range, metrics: ['visits'] } });
    expect([report.status, report.body.results[0].metrics]).toEqual([200, [2]]);

    h.nc.publish(CACHE_INVALIDATE_SUBJECT);
    await h.nc.flush();
    let third = await call(h.url, 'POST', '/v1/funnel', { token: t.readKey, body: { site_id: t.siteId, ...body }, headers: { 'if-none-match': etag } });
    for (let i = 0; i < 20 && third.status === 304; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      third = await call(h.url, 'POST', '/v1/funnel', { token: t.readKey, body: { site_id: t.siteId, ...body }, headers: { 'if-none-match': etag } });
    }
    expect([third.status, third.headers.get('x-cache')]).toEqual([200, 'miss']);
    expect(third.body.steps.map((s: { visits: number; conversion_rate: number }) => [s.visits, s.conversion_rate])).toEqual([
      [2, 100],
      [1, 50],
    ]);
  });

  it('is described in /openapi.json by the schema that validates it', async () => {
    const doc = (await call(h.url, 'GET', '/openapi.json')).body;
    expect(doc.components.schemas.FunnelRequest).toEqual(JSON.parse(JSON.stringify(FUNNEL_REQUEST_SCHEMA)));
    expect(doc.paths['/v1/funnel'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/FunnelRequest' });
    const op = doc.paths['/v1/funnel'].post;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '304', '400', '401', '404', '406', '413', '429', '503', '504']);
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(op.responses['200'].content['text/csv'].schema.description).toContain('`step,label,visits,');
    expect(Object.keys(op.responses['200'].headers)).toEqual(expect.arrayContaining(['ETag', 'Vary', 'Content-Disposition', 'X-Pulse-Complete-Through']));
    expect(doc.components.schemas.FunnelRequest.properties.compare.anyOf).toEqual(doc.components.schemas.QueryRequest.properties.compare.anyOf);
    const step = doc.components.schemas.FunnelResponse.properties.steps.items.properties;
    expect(Object.keys(step.comparison.properties)).toEqual(['visits', 'visitors', 'conversion_rate', 'conversion_rate_step', 'dropoff', 'change']);
    expect(step.comparison.description).toContain('for conversion_rate and conversion_rate_step the difference in percentage points');
    expect(doc.components.schemas.FunnelResponse.properties.steps.items.properties.conversion_rate.description).toContain('100 for step 1');
  });
});
