import { describe, expect, it } from 'vitest';
import { createApiClient } from './api.js';
import { ApiError, describeError } from './errors.js';
import { countText, countUnit, funnelRows, funnelSummary, parseFunnelResponse, type FunnelResult } from './funnel-result.js';

/** The query API's own example (query-api/test/funnel.test.ts): / → Pricing → signup. */
const ANSWER = {
  steps: [
    { label: 'Visit /', step: { page: '/' }, visits: 8, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0 },
    { label: 'Pricing', step: { page: '/pricing' }, visits: 4, conversion_rate: 50, conversion_rate_step: 50, dropoff: 4 },
    { label: 'signup', step: { event: 'signup' }, visits: 3, conversion_rate: 37.5, conversion_rate_step: 75, dropoff: 1 },
  ],
  meta: { site_id: 's_1', scope: 'visit', window_seconds: null, timezone: 'UTC', complete_through: '2026-02-13T00:02:00.100Z', source_table: 'events' },
};

describe('funnel answers', () => {
  it('read the count named by the scope, the rates and the drop-off', () => {
    expect(parseFunnelResponse(ANSWER)).toEqual({
      scope: 'visit',
      steps: [
        { label: 'Visit /', count: 8, conversionRate: 100, conversionRateStep: 100, dropoff: 0 },
        { label: 'Pricing', count: 4, conversionRate: 50, conversionRateStep: 50, dropoff: 4 },
        { label: 'signup', count: 3, conversionRate: 37.5, conversionRateStep: 75, dropoff: 1 },
      ],
      completeThrough: Date.parse('2026-02-13T00:02:00.100Z'),
    });
    const byVisitor = parseFunnelResponse({
      steps: [
        { label: 'Visit /', visitors: 8, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0 },
        { label: 'signup', visitors: 6, conversion_rate: 75, conversion_rate_step: 75, dropoff: 2 },
      ],
      meta: { scope: 'visitor', window_seconds: 86_400, complete_through: null },
    });
    expect(byVisitor.scope).toBe('visitor');
    expect(byVisitor.steps.map((s) => s.count)).toEqual([8, 6]);
    expect(byVisitor.completeThrough).toBeNull();
  });

  it('refuse an answer without its numbers', () => {
    expect(() => parseFunnelResponse({ results: [] })).toThrow(ApiError);
    // Counted by visitors, the answer has no visits.
    expect(() => parseFunnelResponse({ ...ANSWER, meta: { scope: 'visitor' } })).toThrow(/steps\[0\] lacks its visitors or rates/);
    expect(() => parseFunnelResponse({ steps: [{ label: 'x', visits: 1, conversion_rate: '100', conversion_rate_step: 100, dropoff: 0 }], meta: {} })).toThrow(ApiError);
    expect(() => parseFunnelResponse({ steps: [7], meta: {} })).toThrow(ApiError);
  });
});

describe('funnel rows', () => {
  it('show the API\'s numbers: counts with separators, rates with its two decimals, no rate or drop-off before step 1', () => {
    expect(funnelRows(parseFunnelResponse(ANSWER))).toEqual([
      { step: 1, label: 'Visit /', count: '8', conversion: '100%', fromPrevious: null, dropoff: null, dropoffRate: null, barKept: 100, barLost: 0 },
      { step: 2, label: 'Pricing', count: '4', conversion: '50%', fromPrevious: '50%', dropoff: '4', dropoffRate: '50%', barKept: 50, barLost: 50 },
      { step: 3, label: 'signup', count: '3', conversion: '37.5%', fromPrevious: '75%', dropoff: '1', dropoffRate: '25%', barKept: 37.5, barLost: 12.5 },
    ]);
  });

  it('round the drop-off rate once, to two decimals, and leave it out after a step nobody reached', () => {
    const r: FunnelResult = {
      scope: 'visitor',
      steps: [
        { label: 'a', count: 12_345, conversionRate: 100, conversionRateStep: 100, dropoff: 0 },
        { label: 'b', count: 4_115, conversionRate: 33.33, conversionRateStep: 33.33, dropoff: 8_230 },
        { label: 'c', count: 0, conversionRate: 0, conversionRateStep: 0, dropoff: 4_115 },
        { label: 'd', count: 0, conversionRate: 0, conversionRateStep: 0, dropoff: 0 },
      ],
      completeThrough: null,
    };
    const rows = funnelRows(r);
    expect(rows.map((x) => [x.count, x.conversion, x.fromPrevious, x.dropoff, x.dropoffRate])).toEqual([
      ['12,345', '100%', null, null, null],
      ['4,115', '33.33%', '33.33%', '8,230', '66.67%'],
      ['0', '0%', '0%', '4,115', '100%'],
      ['0', '0%', '0%', '0', null],
    ]);
    expect(rows[1]?.barKept).toBeCloseTo(33.333, 2);
    expect(rows[1]?.barLost).toBeCloseTo(66.667, 2);
    expect(funnelSummary(r)).toBe('0 of 12,345 visitors completed the funnel (0%).');
  });

  it('sum up the funnel, and nothing when nobody entered', () => {
    expect(funnelSummary(parseFunnelResponse(ANSWER))).toBe('3 of 8 visits completed the funnel (37.5%).');
    const empty: FunnelResult = {
      scope: 'visit',
      steps: [
        { label: 'a', count: 0, conversionRate: 0, conversionRateStep: 0, dropoff: 0 },
        { label: 'b', count: 0, conversionRate: 0, conversionRateStep: 0, dropoff: 0 },
      ],
      completeThrough: null,
    };
    expect(funnelSummary(empty)).toBeNull();
    expect(funnelRows(empty).map((x) => [x.barKept, x.barLost])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(countUnit(0, 'visit')).toBe('visits');
    expect(countUnit(1, 'visitor')).toBe('visitor');
    expect(countText(1, 'visit')).toBe('1 visit');
    expect(countText(1, 'visitor')).toBe('1 visitor');
    expect(countText(1_000, 'visitor')).toBe('1,000 visitors');
  });
});

/** The API's compared answer (query-api/test/funnel.test.ts, the previous period): 5 → 3 → 2 then. */
const COMPARED = {
  ...ANSWER,
  steps: ANSWER.steps.map((s, i) => ({
    ...s,
    comparison: [
      { visits: 5, conversion_rate: 100, conversion_rate_step: 100, dropoff: 0, change: { visits: 60, conversion_rate: 0, conversion_rate_step: 0, dropoff: 0 } },
      { visits: 3, conversion_rate: 60, conversion_rate_step: 60, dropoff: 2, change: { visits: 33.3, conversion_rate: -10, conversion_rate_step: -10, dropoff: 100 } },
      { visits: 2, conversion_rate: 40, conversion_rate_step: 66.67, dropoff: 1, change: { visits: 50, conversion_rate: -2.5, conversion_rate_step: 8.33, dropoff: 0 } },
    ][i],
  })),
};

describe('compared funnels', () => {
  it('read each step\'s compared figures, and refuse a comparison without them', () => {
    expect(parseFunnelResponse(COMPARED).steps.map((s) => s.previous)).toEqual([
      { count: 5, conversionRate: 100, conversionRateStep: 100, dropoff: 0 },
      { count: 3, conversionRate: 60, conversionRateStep: 60, dropoff: 2 },
      { count: 2, conversionRate: 40, conversionRateStep: 66.67, dropoff: 1 },
    ]);
    expect(parseFunnelResponse(ANSWER).steps.some((s) => 'previous' in s)).toBe(false);
    const broken = { ...ANSWER, steps: [{ ...ANSWER.steps[0], comparison: { visitors: 5 } }] };
    expect(() => parseFunnelResponse(broken)).toThrow(/steps\[0\]\.comparison lacks its visits or rates/);
  });

  it('show step 1 against its count then and later steps against their conversion then, changes as the cards word them', () => {
    const rows = funnelRows(parseFunnelResponse(COMPARED), 'yesterday');
    expect(rows.map((r) => [r.compared?.text, r.compared?.change?.text, r.compared?.change?.direction, r.compared?.change?.good])).toEqual([
      ['was 5 visits', '+60%', 'up', true],
      ['was 60%', '−10 pp', 'down', false],
      ['was 40%', '−2.5 pp', 'down', false],
    ]);
    expect(rows[1]?.compared?.change?.label).toBe('down 10 pp from yesterday');
    // Without a comparison the rows are as before.
    expect(funnelRows(parseFunnelResponse(ANSWER)).some((r) => 'compared' in r)).toBe(false);
  });

  it('say "new" where the compared period had nobody', () => {
    const fromNothing = parseFunnelResponse({
      ...ANSWER,
      steps: ANSWER.steps.map((s) => ({ ...s, comparison: { visits: 0, conversion_rate: 0, conversion_rate_step: 0, dropoff: 0, change: {} } })),
    });
    expect(funnelRows(fromNothing).map((r) => r.compared?.change?.text)).toEqual(['new', '+50 pp', '+37.5 pp']);
  });
});

describe('the client\'s funnel call', () => {
  const BODY = { site_id: 's_abcdefghij012345', date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' }, steps: [{ page: '/' }, { event: 'signup' }] };

  function clientAnswering(status: number, json: unknown) {
    const asked: { url: string; init: RequestInit }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      asked.push({ url, init });
      return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof globalThis.fetch;
    return { client: createApiClient({ readKey: 'rk_good', baseUrl: 'http://api.test', fetch }), asked };
  }

  it('posts the body to /v1/funnel with the read key and reads the answer', async () => {
    const { client, asked } = clientAnswering(200, ANSWER);
    expect((await client.funnel(BODY)).steps.map((s) => s.count)).toEqual([8, 4, 3]);
    expect(asked.map((a) => [a.url, a.init.method])).toEqual([['http://api.test/v1/funnel', 'POST']]);
    expect(asked[0]?.init.headers).toMatchObject({ authorization: 'Bearer rk_good', 'content-type': 'application/json', accept: 'application/json' });
    expect(JSON.parse(String(asked[0]?.init.body))).toEqual(BODY);
  });

  it('asks the same funnel as CSV from /v1/funnel, with Accept: text/csv', async () => {
    const asked: { url: string; init: RequestInit }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      asked.push({ url, init });
      return new Response('step,label,visits\r\n', {
        headers: { 'content-type': 'text/csv; charset=utf-8; header=present', 'content-disposition': 'attachment; filename="pulse-s_abcdefghij012345-20261120T000000Z-20261127T000000Z.csv"' },
      });
    }) as unknown as typeof globalThis.fetch;
    const client = createApiClient({ readKey: 'rk_good', baseUrl: 'http://api.test', fetch });
    const file = await client.funnelCsv(BODY);
    expect([file.filename, await file.blob.text()]).toEqual(['pulse-s_abcdefghij012345-20261120T000000Z-20261127T000000Z.csv', 'step,label,visits\r\n']);
    expect(asked.map((a) => [a.url, a.init.method])).toEqual([['http://api.test/v1/funnel', 'POST']]);
    expect(asked[0]?.init.headers).toMatchObject({ authorization: 'Bearer rk_good', accept: 'text/csv' });
    expect(JSON.parse(String(asked[0]?.init.body))).toEqual(BODY);
  });

  it('carries a 400\'s message, which the panel shows as the API wrote it', async () => {
    const { client } = clientAnswering(400, { error: { code: 'invalid_request', message: 'steps[2].page: must start with /' } });
    const err = (await client.funnel(BODY).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code, err.message, describeError(err)]).toEqual([400, 'invalid_request', 'steps[2].page: must start with /', 'steps[2].page: must start with /']);
  });
});
