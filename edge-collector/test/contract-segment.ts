import { expect, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import { DLQ_STREAM, type StreamRecord } from '@pulse/protocol';
import { segmentSettings } from '../src/core/segment/settings.js';
import { createWriteKey, deadLettersAfter, lastSeq, messagesAfter, postBatch, recordsAfter, sleep, type NatsTools } from './helpers.js';

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
const iso = (ms: number) => new Date(ms).toISOString();
/** What a Segment server library's agent becomes: a server SDK's, which the aggregator does not count as a bot. */
const LIBRARY_UA = 'pulse-sdk-segment (analytics-node-next/latest)';

/**
 * The Segment-compatible routes (`/segment/v1/...`), part of the contract suite so both runtimes
 * run them against a real nats-server; the events are read back from EVENTS as the aggregator
 * reads them.
 */
export function defineSegmentContract(ctx: () => { url: string; t: NatsTools }): void {
  it('takes a Segment batch of track, page and identify: 200 with the counts after the PubAck, the translated events in EVENTS', async () => {
    const { url, t } = ctx();
    const { key, siteId } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const sentAt = Date.now() - 3_600_000; // the client's clock is an hour behind
    const body = {
      sentAt: iso(sentAt),
      context: { locale: 'de-DE' },
      batch: [
        {
          type: 'track',
          event: 'Order Completed',
          messageId: 'seg-m-1',
          userId: 'u-42',
          timestamp: iso(sentAt - 2_000),
          properties: { revenue: 49.9, currency: 'eur', order: { id: 'o-1', coupon: null }, products: [{ sku: 'a' }] },
          context: { ip: '203.0.113.99', userAgent: 'Mozilla/5.0 (the visitor)', screen: { width: 1280 } },
        },
        { type: 'identify', userId: 'u-42', traits: { email: 'someone@example.com' }, messageId: 'seg-m-2' },
        {
          type: 'page',
          name: 'Pricing',
          anonymousId: 'anon-7',
          timestamp: iso(sentAt - 1_000),
          properties: { url: 'https://shop.example/pricing?utm_source=news', referrer: 'https://news.example/', title: 'Pricing', path: '/pricing' },
        },
      ],
    };
    const r = await postBatch(url, JSON.stringify(body), { headers: { ...basic(key), 'user-agent': 'analytics-node-next/latest' }, path: '/segment/v1/batch' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ success: true, accepted: 2, ignored: 1, rejected: [] });

    const messages = await messagesAfter(t.jsm, before);
    expect(messages.map((m) => m.v)).toEqual([1]);
    const records = await recordsAfter(t.jsm, before);
    expect(records).toHaveLength(1);
    const record = records[0] as StreamRecord;
    expect({ ...record, events: [] }).toEqual({ site_id: siteId, received_at: expect.any(Number), ip: '127.0.0.1', ua: LIBRARY_UA, country: '', events: [] });
    const skew = record.received_at - sentAt;
    expect(record.events).toEqual([
      {
        id: 'seg-m-1',
        name: 'Order Completed',
        ts: sentAt - 2_000 + skew,
        visitor_id: 'u-42',
        user_id: 'u-42',
        lang: 'de-DE',
        screen_width: 1280,
        revenue: { amount: 49.9, currency: 'EUR' },
        props: { 'order.id': 'o-1', products: '[{"sku":"a"}]' },
      },
      {
        // Made by the collector from the request (<instance>-<seq>) and the message's index, 2.
        id: expect.stringMatching(/\.2$/),
        name: 'pageview',
        ts: sentAt - 1_000 + skew,
        url: 'https://shop.example/pricing?utm_source=news',
        referrer: 'https://news.example/',
        title: 'Pricing',
        visitor_id: 'anon-7',
        lang: 'de-DE',
        props: { name: 'Pricing' },
      },
    ]);
  });

  it('takes the write key as Basic user name or as writeKey in the body (analytics.js, text/plain), and refuses others with 401', async () => {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const ok = { success: true, accepted: 1, ignored: 0, rejected: [] };
    const track = (event: string) => ({ type: 'track', event, anonymousId: 'a-1', messageId: `key-${event}` });
    // analytics.js: one call a request to /v1/<letter>, or batches to /v1/b, the key in the body, as text/plain.
    const single = await postBatch(url, JSON.stringify({ ...track('single'), type: undefined, writeKey: key }), { path: '/segment/v1/t', contentType: 'text/plain' });
    expect(single.json).toEqual(ok);
    const batched = await postBatch(url, JSON.stringify({ writeKey: key, batch: [track('batched')] }), { path: '/segment/v1/b', contentType: 'text/plain' });
    expect(batched.json).toEqual(ok);
    expect((await postBatch(url, JSON.stringify({ batch: [track('basic')] }), { path: '/segment/v1/batch', headers: basic(key) })).json).toEqual(ok);
    expect((await postBatch(url, JSON.stringify({ batch: [track('bearer')] }), { path: '/segment/v1/batch', key })).json).toEqual(ok);
    const events = (await recordsAfter(t.jsm, before)).flatMap((rec) => rec.events);
    expect(events.map((e) => [e.id, e.name])).toEqual([
      ['key-single', 'single'],
      ['key-batched', 'batched'],
      ['key-basic', 'basic'],
      ['key-bearer', 'bearer'],
    ]);

    const afterGood = await lastSeq(t.jsm);
    const unknown = `wk_${'Q'.repeat(32)}`;
    const refusals = [
      await postBatch(url, JSON.stringify({ batch: [track('x')] }), { path: '/segment/v1/batch', headers: basic(unknown) }),
      await postBatch(url, JSON.stringify({ writeKey: unknown, batch: [track('x')] }), { path: '/segment/v1/b', contentType: 'text/plain' }),
      await postBatch(url, JSON.stringify({ batch: [track('x')] }), { path: '/segment/v1/batch', headers: { authorization: 'Basic not-base64!' } }),
      await postBatch(url, JSON.stringify({ batch: [track('x')] }), { path: '/segment/v1/batch' }),
    ];
    expect(refusals.map((x) => [x.status, x.json.error.code])).toEqual([
      [401, 'invalid_key'],
      [401, 'invalid_key'],
      [401, 'invalid_key'],
      [401, 'missing_key'],
    ]);
    expect(await lastSeq(t.jsm)).toBe(afterGood);
  });

  it('keeps the messageIds of a retried batch, so the pipeline stores its events once', async () => {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const body = JSON.stringify({
      sentAt: iso(Date.now()),
      batch: [
        { type: 'track', event: 'Clicked', messageId: 'retry-1', anonymousId: 'a' },
        { type: 'page', messageId: 'retry-2', anonymousId: 'a', properties: { url: 'https://shop.example/' } },
      ],
    });
    for (let i = 0; i < 2; i++) expect((await postBatch(url, body, { path: '/segment/v1/batch', headers: basic(key) })).json).toEqual({ success: true, accepted: 2, ignored: 0, rejected: [] });
    const records = await recordsAfter(t.jsm, before);
    expect(records.map((rec) => rec.events.map((e) => e.id))).toEqual([
      ['retry-1', 'retry-2'],
      ['retry-1', 'retry-2'],
    ]);
  });

  it('lists refused messages by their Segment index and dead-letters them without context.ip', async () => {
    const { url, t } = ctx();
    const { key, siteId } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const refusedPage = { type: 'page', name: 'Nowhere', messageId: 'bad-1', context: { ip: '203.0.113.99', locale: 'en' } };
    const batch = [
      { type: 'alias', previousId: 'a', userId: 'u' },
      refusedPage,
      { type: 'track', event: 'fine', messageId: 'good-2' },
      { type: 'track', event: 'too many', properties: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i])) },
      { type: 'launch', event: 'x' },
    ];
    const r = await postBatch(url, JSON.stringify({ batch }), { path: '/segment/v1/batch', headers: basic(key) });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      success: true,
      accepted: 1,
      ignored: 1,
      rejected: [
        { index: 1, reason: 'pageview_without_url' },
        { index: 3, reason: 'too_many_props' },
        { index: 4, reason: 'invalid_value:type' },
      ],
    });
    expect((await recordsAfter(t.jsm, before)).flatMap((rec) => rec.events.map((e) => e.id))).toEqual(['good-2']);
    const letters = await deadLettersAfter(t.jsm, dlqBefore);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ v: 1, source: 'collector', format: 'segment', site_id: siteId });
    expect(letters[0]?.items).toEqual([
      { index: 1, reason: 'pageview_without_url', event: { ...refusedPage, context: { locale: 'en' } } },
      { index: 3, reason: 'too_many_props', event: batch[3] },
      { index: 4, reason: 'invalid_value:type', event: batch[4] },
    ]);
  });

  it('answers bad JSON with 400 and over-limit bodies and batches with 413, storing nothing', async () => {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const post = (body: string, path = '/segment/v1/batch') => postBatch(url, body, { path, headers: basic(key) });
    const cases: Array<[Promise<{ status: number; json: any }>, number, string]> = [
      [post('{"batch": [{"type": "track",'), 400, 'invalid_json'],
      [post('{"events": []}'), 400, 'not_a_batch'],
      [post('[{"type": "track", "event": "x"}]'), 400, 'not_a_batch'],
      [post('"track"', '/segment/v1/track'), 400, 'not_a_batch'],
      [post(JSON.stringify({ batch: [], sentAt: 'yesterday' })), 400, 'invalid_sent_at'],
      [post(JSON.stringify({ batch: Array.from({ length: 501 }, () => ({ type: 'identify', userId: 'u' })) })), 413, 'too_many_events'],
      [post(JSON.stringify({ batch: [{ type: 'track', event: 'big', properties: { blob: 'x'.repeat(600 * 1024) } }] })), 413, 'body_too_large'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
    }
    expect(await lastSeq(t.jsm)).toBe(before);
    // Only POST, and the collector is fine afterwards.
    expect((await fetch(`${url}/segment/v1/batch`)).status).toBe(405);
    expect((await post(JSON.stringify({ batch: [{ type: 'track', event: 'after' }] }))).status).toBe(200);
  });

  it('takes track and page calls from the real @segment/analytics-node client', async () => {
    const { url, t } = ctx();
    const { key, siteId } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    // analytics-node resolves `path` (default "/v1/batch") against `host` as a URL, which drops a
    // path in `host`: the Segment path goes in `path`.
    const analytics = new Analytics({ writeKey: key, host: url, path: '/segment/v1/batch', flushAt: 10 });
    const requests: string[] = [];
    const statuses: number[] = [];
    const errors: unknown[] = [];
    analytics.on('http_request', (r) => requests.push(r.url));
    analytics.on('http_response', (r) => statuses.push(r.status));
    analytics.on('error', (e) => errors.push(e));
    const at = new Date(Date.now() - 10_000);
    analytics.track({ event: 'Signed Up', userId: 'u-1', messageId: 'sdk-1', timestamp: at, properties: { plan: 'pro', seats: 3, meta: { source: 'ad' } } });
    analytics.page({ anonymousId: 'anon-1', name: 'Home', category: 'Site', messageId: 'sdk-2', timestamp: at, properties: { url: 'https://shop.example/', title: 'Home' } });
    analytics.identify({ userId: 'u-1', traits: { plan: 'pro' }, messageId: 'sdk-3' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);
    expect(requests).toEqual([`${url}/segment/v1/batch`]);
    expect(statuses).toEqual([200]);

    const records = await recordsAfter(t.jsm, before);
    expect(records.map((r) => [r.site_id, r.ua])).toEqual([[siteId, LIBRARY_UA]]);
    const events = records.flatMap((r) => r.events);
    const ts = events[0]?.ts ?? 0;
    // The client's clock is this machine's: the skew correction moves its time by the transit only.
    expect(Math.abs(ts - at.getTime())).toBeLessThan(5_000);
    expect(events).toEqual([
      { id: 'sdk-1', name: 'Signed Up', ts, visitor_id: 'u-1', user_id: 'u-1', props: { plan: 'pro', seats: 3, 'meta.source': 'ad' } },
      { id: 'sdk-2', name: 'pageview', ts, url: 'https://shop.example/', title: 'Home', visitor_id: 'anon-1', props: { category: 'Site', name: 'Home' } },
    ]);

    // Configured with the Segment path in `host` alone, the client posts to Pulse's own /v1/batch:
    // refused (4xx, not retried by the client) with a message that names the right setting.
    const misconfigured = new Analytics({ writeKey: key, host: `${url}/segment`, maxRetries: 0 });
    const wrong: Array<{ url: string; status?: number }> = [];
    misconfigured.on('http_request', (r) => wrong.push({ url: r.url }));
    misconfigured.on('http_response', (r) => wrong.push({ url: r.url, status: r.status }));
    misconfigured.on('error', () => undefined);
    misconfigured.track({ event: 'lost', userId: 'u-1' });
    await misconfigured.closeAndFlush({ timeout: 20_000 });
    expect(wrong).toEqual([{ url: `${url}/v1/batch` }, { url: `${url}/v1/batch`, status: 401 }]);
    const hint = await postBatch(url, '{"batch": []}', { headers: basic(key) });
    expect(hint.json.error.message).toContain('path: "/segment/v1/batch"');
  });

  it("answers analytics.js's settings for a write key: only the Segment.io integration, pointed at this collector, cacheable, CORS", async () => {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const settingsUrl = `${url}/segment/v1/projects/${key}/settings`;
    const r = await fetch(settingsUrl, { headers: { origin: 'https://shop.example' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(r.headers.get('cache-control')).toBe('public, max-age=300');
    expect(r.headers.get('vary')).toBe('Host, X-Forwarded-Host, X-Forwarded-Proto');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const apiHost = `${new URL(url).host}/segment/v1`;
    // The settings' literal shape is pinned by segment-settings-route.test.ts; here, that the route serves them for this origin.
    expect(await r.json()).toEqual(segmentSettings(key, { protocol: 'http', apiHost }));
    // This suite trusts loopback as a proxy: the origin it forwards is the one the answer names.
    const proxied = await fetch(settingsUrl, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'collector.example.com' } });
    expect(((await proxied.json()) as any).integrations['Segment.io']).toMatchObject({ apiHost: 'collector.example.com/segment/v1', protocol: 'https' });
    const head = await fetch(settingsUrl, { method: 'HEAD' });
    expect([head.status, head.headers.get('cache-control'), await head.text()]).toEqual([200, 'public, max-age=300', '']);
    // analytics.js's event posts carry Basic credentials, and X-Retry-Count when sent again: a preflight allows both.
    const preflight = await fetch(`${url}/segment/v1/t`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-retry-count' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(['authorization', 'content-type', 'x-retry-count']);
  });

  it("refuses analytics.js's settings for a malformed, unknown or revoked key with an uncached 401", async () => {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const settings = (k: string) => fetch(`${url}/segment/v1/projects/${k}/settings`);
    expect((await settings(key)).status).toBe(200);
    await t.kv.delete(key);
    let revoked = await settings(key);
    for (let i = 0; i < 50 && revoked.status === 200; i++) {
      await sleep(100);
      revoked = await settings(key);
    }
    for (const r of [revoked, await settings(`wk_${'Q'.repeat(32)}`), await settings('not-a-key')]) {
      expect([r.status, r.headers.get('cache-control'), r.headers.get('access-control-allow-origin'), ((await r.json()) as any).error.code]).toEqual([401, 'no-store', '*', 'invalid_key']);
    }
    expect((await fetch(`${url}/segment/v1/projects/${key}/settings`, { method: 'POST' })).status).toBe(405);
  });

  it("answers analytics.js's usage metrics (POST /segment/v1/m) with 200 and stores nothing", async () => {
    const { url, t } = ctx();
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const series = { series: [{ type: 'Counter', metric: 'analytics_js.invoke.track', value: 1, tags: { library: 'analytics.js', library_version: 'npm:next-1.84.3' } }] };
    const r = await postBatch(url, JSON.stringify(series), { path: '/segment/v1/m', contentType: 'text/plain' });
    expect([r.status, r.json]).toEqual([200, { success: true }]);
    expect([await lastSeq(t.jsm), await lastSeq(t.jsm, DLQ_STREAM)]).toEqual([before, dlqBefore]);
  });
}
