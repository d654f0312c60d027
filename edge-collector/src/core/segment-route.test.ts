import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '@pulse/protocol';
import { KeyLookupError, StreamUnavailableError } from '../errors.js';
import { KEY, NOW, answer, coreRequest, setup } from './route-test-kit.js';
import type { CoreRequest } from './types.js';

/** A Segment call, with the key as Basic user name unless told otherwise. */
function request(path: string, body: unknown, o: { headers?: Record<string, string>; query?: string; method?: string; auth?: 'basic' | 'none' } = {}): CoreRequest {
  const headers: Record<string, string> = { ...o.headers };
  if (o.auth !== 'none' && !headers.authorization) headers.authorization = `Basic ${btoa(`${KEY}:`)}`;
  return coreRequest(path, body, { ...o, headers });
}

const batchBody = {
  writeKey: 'wk_in_body_is_not_used_when_a_header_has_one',
  sentAt: new Date(NOW).toISOString(),
  context: { locale: 'de-DE' },
  batch: [
    { type: 'track', event: 'Signed Up', messageId: 'm-0', anonymousId: 'a1', timestamp: new Date(NOW - 1_000).toISOString(), context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (visitor)' } },
    { type: 'identify', userId: 'u1', traits: { email: 'x@example.com' } },
    { type: 'page', messageId: 'm-2', anonymousId: 'a1', context: { ip: '203.0.113.9' } },
  ],
};

describe('CollectorCore: the Segment-compatible routes', () => {
  it('routes Segment paths after the own routes, POST only, and tells adapters to read their bodies', async () => {
    const { core, sink } = setup({ pathPrefix: '/pulse' });
    expect(core.isBatchPath('/pulse/v1/batch')).toBe(true);
    expect(core.isBatchPath('/pulse/segment/v1/batch')).toBe(true);
    expect(core.isBatchPath('/pulse/segment/v1/t')).toBe(true);
    expect(core.isBatchPath('/segment/v1/batch')).toBe(false);
    expect(core.isBatchPath('/pulse/segment/v1/nope')).toBe(false);
    const get = await answer(core, sink, request('/pulse/segment/v1/batch', '', { method: 'GET' }));
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    expect((await answer(core, sink, request('/segment/v1/batch', batchBody))).status).toBe(404);
  });

  it('answers 200 with accepted, ignored and rejected only after the PubAcks, with the translated record and the dead letter', async () => {
    const { core, sink, metrics } = setup();
    const r = await answer(core, sink, request('/segment/v1/batch', batchBody, { headers: { 'user-agent': 'analytics-node-next/latest' } }));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ success: true, accepted: 1, ignored: 1, rejected: [{ index: 2, reason: 'pageview_without_url' }] });
    expect(sink.records).toHaveLength(1);
    const record = sink.records[0] as StreamRecord;
    expect(record).toEqual({
      site_id: 's_1',
      received_at: NOW,
      // The socket's address, never the body's context.ip; a library's agent marked as a server SDK's.
      ip: '198.51.100.4',
      ua: 'pulse-sdk-segment (analytics-node-next/latest)',
      country: '',
      events: [{ id: 'm-0', name: 'Signed Up', ts: NOW - 1_000, visitor_id: 'a1', lang: 'de-DE' }],
    });
    expect(sink.letters).toEqual([
      {
        v: 1,
        source: 'collector',
        format: 'segment',
        site_id: 's_1',
        received_at: NOW,
        ua: 'pulse-sdk-segment (analytics-node-next/latest)',
        country: '',
        items: [{ index: 2, reason: 'pageview_without_url', event: { type: 'page', messageId: 'm-2', anonymousId: 'a1', context: {} } }],
      },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('pulse_collector_events_total{outcome="ignored"} 1');
    expect(text).toContain('pulse_collector_events_total{outcome="accepted"} 1');
    expect(text).toContain('pulse_collector_requests_total{route="segment",status="200"} 1');
  });

  it("keeps a browser's user agent (analytics.js) and takes the single-message paths' type from the path", async () => {
    const { core, sink } = setup();
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0';
    const body = { writeKey: KEY, event: 'Clicked', anonymousId: 'a', context: { page: { url: 'https://shop.example/' } } };
    const r = await answer(core, sink, request('/segment/v1/t', JSON.stringify(body), { auth: 'none', headers: { 'content-type': 'text/plain', 'user-agent': ua } }));
    expect(r.json).toEqual({ success: true, accepted: 1, ignored: 0, rejected: [] });
    const record = sink.records[0] as StreamRecord;
    expect(record.ua).toBe(ua);
    expect(record.events).toEqual([{ id: expect.stringMatching(/^test-[0-9a-f]+-0\.0$/), name: 'Clicked', ts: NOW, visitor_id: 'a', url: 'https://shop.example/' }]);
  });

  it('answers an all-ignored batch without publishing anything', async () => {
    const { core, sink } = setup();
    const r = await answer(core, sink, request('/segment/v1/identify', { userId: 'u', traits: {} }));
    expect(r.json).toEqual({ success: true, accepted: 0, ignored: 1, rejected: [] });
    expect(sink.records.length + sink.letters.length).toBe(0);
  });

  it('takes the key from Basic auth, the body, a Bearer header or ?key=, in that order of precedence', async () => {
    const { core, sink } = setup();
    const one = { batch: [{ type: 'track', event: 'e' }] };
    const ok = { success: true, accepted: 1, ignored: 0, rejected: [] };
    expect((await answer(core, sink, request('/segment/v1/batch', one))).json).toEqual(ok);
    expect((await answer(core, sink, request('/segment/v1/batch', { ...one, writeKey: KEY }, { auth: 'none' }))).json).toEqual(ok);
    expect((await answer(core, sink, request('/segment/v1/batch', one, { headers: { authorization: `Bearer ${KEY}` } }))).json).toEqual(ok);
    expect((await answer(core, sink, request('/segment/v1/batch', one, { auth: 'none', query: `key=${KEY}` }))).json).toEqual(ok);
    // A header key wins over the body's.
    const wrongHeader = await answer(core, sink, request('/segment/v1/batch', { ...one, writeKey: KEY }, { headers: { authorization: `Basic ${btoa(`wk_${'B'.repeat(24)}:`)}` } }));
    expect([wrongHeader.status, wrongHeader.json.error.code]).toEqual([401, 'invalid_key']);
    const missing = await answer(core, sink, request('/segment/v1/batch', one, { auth: 'none' }));
    expect([missing.status, missing.json.error.code]).toEqual([401, 'missing_key']);
    const garbled = await answer(core, sink, request('/segment/v1/batch', one, { headers: { authorization: 'Basic %%%' } }));
    expect([garbled.status, garbled.json.error.code]).toEqual([401, 'invalid_key']);
    const unknownScheme = await answer(core, sink, request('/segment/v1/batch', one, { headers: { authorization: `Token ${KEY}` } }));
    expect(unknownScheme.status).toBe(401);
  });

  it('points a Segment library that posts to /v1/batch at the Segment path', async () => {
    const { core, sink } = setup({ pathPrefix: '/pulse' });
    const r = await answer(core, sink, request('/pulse/v1/batch', batchBody));
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('invalid_key');
    expect(r.json.error.message).toContain('path: "/pulse/segment/v1/batch"');
    const bearer = await answer(core, sink, request('/pulse/v1/batch', '{"events":[]}', { headers: { authorization: 'Bearer nope' } }));
    expect(bearer.json.error.message).toBe('unknown or revoked write key');
  });

  it('answers bad bodies as the batch route does: 400, 413, 415', async () => {
    const { core, sink } = setup({ maxBodyBytes: 4096 });
    const cases: Array<[CoreRequest, number, string]> = [
      [request('/segment/v1/batch', '{"batch": ['), 400, 'invalid_json'],
      [request('/segment/v1/batch', { events: [] }), 400, 'not_a_batch'],
      [request('/segment/v1/batch', '{"batch": [}', { auth: 'none' }), 400, 'invalid_json'],
      [request('/segment/v1/batch', { batch: [], sentAt: 'soon' }), 400, 'invalid_sent_at'],
      [request('/segment/v1/track', '"hello"'), 400, 'not_a_batch'],
      [request('/segment/v1/batch', { batch: Array.from({ length: 501 }, () => ({})) }), 413, 'too_many_events'],
      [request('/segment/v1/batch', { batch: [{ type: 'track', event: 'x'.repeat(5000) }] }), 413, 'body_too_large'],
      [request('/segment/v1/batch', { batch: [] }, { headers: { 'content-encoding': 'gzip' } }), 415, 'unsupported_content_encoding'],
      [request('/segment/v1/batch', { batch: [] }, { headers: { 'content-type': 'application/xml' } }), 415, 'unsupported_media_type'],
    ];
    for (const [req, status, code] of cases) {
      const r = await answer(core, sink, req);
      expect({ status: r.status, code: r.json.error?.code }).toEqual({ status, code });
    }
    expect(sink.records.length + sink.letters.length).toBe(0);
  });

  it('rate-limits by messages sent, ignored ones included, with 429 and Retry-After', async () => {
    const { core, sink } = setup({ rateLimitEventsPerSec: 1, rateLimitBurst: 3 });
    const three = { batch: [{ type: 'track', event: 'e' }, { type: 'identify' }, { type: 'alias' }] };
    expect((await answer(core, sink, request('/segment/v1/batch', three))).status).toBe(200);
    const limited = await answer(core, sink, request('/segment/v1/batch', three));
    expect([limited.status, limited.json.error.code]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 with Retry-After when the stream, the key registry or the collector cannot take it', async () => {
    const one = { batch: [{ type: 'track', event: 'e' }] };
    const stream = setup();
    stream.sink.fail = new StreamUnavailableError('down');
    const down = await answer(stream.core, stream.sink, request('/segment/v1/batch', one));
    expect([down.status, down.json.error.code, down.headers['retry-after']]).toEqual([503, 'stream_unavailable', '2']);

    const registry = setup({}, () => Promise.reject(new KeyLookupError('unreachable')));
    const noKeys = await answer(registry.core, registry.sink, request('/segment/v1/batch', one));
    expect([noKeys.status, noKeys.json.error.code, noKeys.headers['retry-after']]).toEqual([503, 'key_registry_unavailable', '2']);

    const draining = setup();
    draining.core.beginDrain();
    const closing = await answer(draining.core, draining.sink, request('/segment/v1/batch', one));
    expect([closing.status, closing.json.error.code]).toEqual([503, 'draining']);
  });
});
