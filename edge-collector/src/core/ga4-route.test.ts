import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '@pulse/protocol';
import { KeyLookupError, StreamUnavailableError } from '../errors.js';
import { KEY, NOW, answer, coreRequest, setup } from './route-test-kit.js';
import type { CoreRequest } from './types.js';

const micros = (ms: number) => ms * 1000;

/** A GA4 request with the key as api_secret (as GA's senders send theirs) unless a query is given. */
function request(path: string, body: unknown, o: { headers?: Record<string, string>; query?: string; method?: string } = {}): CoreRequest {
  return coreRequest(path, body, { ...o, query: o.query ?? `measurement_id=G-TEST123&api_secret=${KEY}` });
}

const body = {
  client_id: '1234.5678',
  user_id: 'u-1',
  timestamp_micros: micros(NOW - 1_000),
  ip_override: '203.0.113.9',
  events: [
    { name: 'session_start', params: { session_id: 1_714_564_800 } },
    { name: 'page_view', params: { page_location: 'https://shop.example/', session_id: 1_714_564_800, engagement_time_msec: 100 } },
    { name: 'purchase', params: { transaction_id: 'T-1', value: 25, session_id: 1_714_564_800 } },
  ],
};

describe('CollectorCore: the GA4 Measurement Protocol routes', () => {
  it('routes /mp/collect and /debug/mp/collect after the own and Segment routes, POST only, and tells adapters to read their bodies', async () => {
    const { core, sink } = setup({ pathPrefix: '/pulse' });
    expect(core.isBatchPath('/pulse/mp/collect')).toBe(true);
    expect(core.isBatchPath('/pulse/debug/mp/collect/')).toBe(true);
    expect(core.isBatchPath('/mp/collect')).toBe(false);
    expect(core.isBatchPath('/pulse/mp/collectx')).toBe(false);
    const get = await answer(core, sink, request('/pulse/mp/collect', '', { method: 'GET' }));
    expect([get.status, get.headers.allow]).toEqual([405, 'POST, OPTIONS']);
    expect((await answer(core, sink, request('/mp/collect', body))).status).toBe(404);
  });

  it('answers 200 with accepted, ignored and rejected only after the PubAcks, with the translated record and the dead letter', async () => {
    const { core, sink, metrics } = setup();
    const r = await answer(core, sink, request('/mp/collect', body, { headers: { 'user-agent': 'python-requests/2.32.3' } }));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 1, ignored: 1, rejected: [{ index: 2, reason: 'invalid_type:revenue.currency' }] });
    expect(sink.records).toEqual([
      {
        site_id: 's_1',
        received_at: NOW,
        // The socket's address, never the body's ip_override; a library's agent marked as a server SDK's.
        ip: '198.51.100.4',
        ua: 'pulse-sdk-ga4 (python-requests/2.32.3)',
        country: '',
        events: [{ id: expect.stringMatching(/^test-[0-9a-z]+-[0-9a-z]+\.1$/), name: 'pageview', ts: NOW - 1_000, url: 'https://shop.example/', visitor_id: '1234.5678', user_id: 'u-1', session_id: '1714564800' }],
      },
    ]);
    expect(sink.letters).toEqual([
      {
        v: 1,
        source: 'collector',
        format: 'ga4',
        site_id: 's_1',
        received_at: NOW,
        ua: 'pulse-sdk-ga4 (python-requests/2.32.3)',
        country: '',
        request: { client_id: '1234.5678', user_id: 'u-1', timestamp_micros: micros(NOW - 1_000) },
        items: [{ index: 2, reason: 'invalid_type:revenue.currency', event: body.events[2] }],
      },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('pulse_collector_events_total{outcome="ignored"} 1');
    expect(text).toContain('pulse_collector_events_total{outcome="accepted"} 1');
    expect(text).toContain('pulse_collector_events_total{outcome="rejected"} 1');
    expect(text).toContain('pulse_collector_requests_total{route="ga4",status="200"} 1');
  });

  it("keeps a browser's agent, reads the body as JSON whatever its type, and answers an all-ignored request without publishing", async () => {
    const { core, sink } = setup();
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0';
    const one = { client_id: 'c', events: [{ name: 'sign_up', params: { method: 'email' } }] };
    const r = await answer(core, sink, request('/mp/collect', one, { headers: { 'user-agent': ua, 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(r.json).toEqual({ accepted: 1, ignored: 0, rejected: [] });
    expect((sink.records[0] as StreamRecord).ua).toBe(ua);
    sink.records = [];
    const ignoredOnly = await answer(core, sink, request('/mp/collect', { client_id: 'c', events: [{ name: 'user_engagement' }] }));
    expect(ignoredOnly.json).toEqual({ accepted: 0, ignored: 1, rejected: [] });
    expect(sink.records.length + sink.letters.length).toBe(0);
  });

  it('takes the key from api_secret, a Bearer header or ?key=, and refuses others with 401', async () => {
    const { core, sink } = setup();
    const one = { client_id: 'c', events: [{ name: 'e' }] };
    const ok = { accepted: 1, ignored: 0, rejected: [] };
    expect((await answer(core, sink, request('/mp/collect', one))).json).toEqual(ok);
    expect((await answer(core, sink, request('/mp/collect', one, { query: 'measurement_id=G-1', headers: { authorization: `Bearer ${KEY}` } }))).json).toEqual(ok);
    expect((await answer(core, sink, request('/mp/collect', one, { query: `key=${KEY}` }))).json).toEqual(ok);
    const cases: Array<[CoreRequest, string]> = [
      [request('/mp/collect', one, { query: 'measurement_id=G-1' }), 'missing_key'],
      [request('/mp/collect', one, { query: 'measurement_id=G-1&api_secret=' }), 'invalid_key'],
      [request('/mp/collect', one, { query: 'measurement_id=G-1&api_secret=aBcD-my-ga-secret' }), 'invalid_key'],
      [request('/mp/collect', one, { query: `api_secret=wk_${'B'.repeat(24)}` }), 'invalid_key'],
      [request('/debug/mp/collect', one, { query: `api_secret=wk_${'B'.repeat(24)}` }), 'invalid_key'],
    ];
    for (const [req, code] of cases) {
      const r = await answer(core, sink, req);
      expect([r.status, r.json.error.code]).toEqual([401, code]);
    }
    expect(sink.records).toHaveLength(3);
  });

  it('answers bad bodies with the batch route errors: 400, 413 (over 25 events or the body limit), 415', async () => {
    const { core, sink } = setup({ maxBodyBytes: 4096 });
    const events = (n: number) => Array.from({ length: n }, () => ({ name: 'e' }));
    const cases: Array<[CoreRequest, number, string]> = [
      [request('/mp/collect', '{"client_id": "c", "events": ['), 400, 'invalid_json'],
      [request('/mp/collect', ''), 400, 'invalid_json'],
      [request('/mp/collect', '[{"name": "e"}]'), 400, 'not_a_batch'],
      [request('/mp/collect', { client_id: 'c' }), 400, 'not_a_batch'],
      [request('/mp/collect', { client_id: 'c', events: events(26) }), 413, 'too_many_events'],
      [request('/mp/collect', { client_id: 'c', events: [{ name: 'e', params: { blob: 'x'.repeat(5000) } }] }), 413, 'body_too_large'],
      [request('/mp/collect', { client_id: 'c', events: [] }, { headers: { 'content-encoding': 'gzip' } }), 415, 'unsupported_content_encoding'],
    ];
    for (const [req, status, code] of cases) {
      const r = await answer(core, sink, req);
      expect({ status: r.status, code: r.json.error?.code }).toEqual({ status, code });
    }
    expect((await answer(core, sink, request('/mp/collect', { client_id: 'c', events: events(25) }))).json).toMatchObject({ accepted: 25 });
    expect(sink.letters).toHaveLength(0);
  });

  it("answers the debug path with GA's validationMessages, the same key check, and publishes nothing", async () => {
    const { core, sink, metrics } = setup();
    const r = await answer(core, sink, request('/debug/mp/collect', body));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      validationMessages: [
        {
          fieldPath: 'events.name',
          validationCode: 'NAME_RESERVED',
          description: 'Event at index: [0] has name [session_start], an event Pulse derives from the others: it is not stored.',
        },
        { fieldPath: 'events.params.currency', validationCode: 'VALUE_REQUIRED', description: 'Event at index: [2] is refused (invalid_type:revenue.currency): currency is required with value.' },
      ],
    });
    const garbled = await answer(core, sink, request('/debug/mp/collect', '{"events": ['));
    expect(garbled.status).toBe(200);
    expect(garbled.json.validationMessages).toEqual([{ fieldPath: '', validationCode: 'VALUE_INVALID', description: expect.stringMatching(/^Unable to parse the body as JSON: /) }]);
    const tooMany = await answer(core, sink, request('/debug/mp/collect', { client_id: 'c', events: Array.from({ length: 26 }, () => ({ name: 'e' })) }));
    expect(tooMany.json).toEqual({ validationMessages: [{ fieldPath: 'events', validationCode: 'EXCEEDED_MAX_ENTITIES', description: 'a request holds at most 25 events, got 26.' }] });
    expect((await answer(core, sink, request('/debug/mp/collect', { client_id: 'c', events: [{ name: 'e' }] }))).json).toEqual({ validationMessages: [] });
    expect(sink.records.length + sink.letters.length).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toContain('pulse_collector_requests_total{route="ga4",status="200"} 4');
    expect(text).not.toMatch(/outcome="(accepted|rejected|ignored)"\} [1-9]/);
  });

  it('rate-limits by events sent, ignored ones included, with 429 and Retry-After', async () => {
    const { core, sink } = setup({ rateLimitEventsPerSec: 1, rateLimitBurst: 3 });
    const three = { client_id: 'c', events: [{ name: 'e' }, { name: 'session_start' }, { name: 'first_visit' }] };
    expect((await answer(core, sink, request('/mp/collect', three))).status).toBe(200);
    const limited = await answer(core, sink, request('/mp/collect', three));
    expect([limited.status, limited.json.error.code]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The debug path publishes nothing and takes no tokens.
    expect((await answer(core, sink, request('/debug/mp/collect', three))).status).toBe(200);
  });

  it('answers 503 with Retry-After when the stream, the key registry or the collector cannot take it', async () => {
    const one = { client_id: 'c', events: [{ name: 'e' }] };
    const stream = setup();
    stream.sink.fail = new StreamUnavailableError('down');
    const down = await answer(stream.core, stream.sink, request('/mp/collect', one));
    expect([down.status, down.json.error.code, down.headers['retry-after']]).toEqual([503, 'stream_unavailable', '2']);

    const registry = setup({}, () => Promise.reject(new KeyLookupError('unreachable')));
    const noKeys = await answer(registry.core, registry.sink, request('/mp/collect', one));
    expect([noKeys.status, noKeys.json.error.code, noKeys.headers['retry-after']]).toEqual([503, 'key_registry_unavailable', '2']);

    const draining = setup();
    draining.core.beginDrain();
    const closing = await answer(draining.core, draining.sink, request('/mp/collect', one));
    expect([closing.status, closing.json.error.code]).toEqual([503, 'draining']);
  });
});
