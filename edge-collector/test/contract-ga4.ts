import { expect, it } from 'vitest';
import { DLQ_STREAM, type StreamRecord } from '@pulse/protocol';
import { createWriteKey, deadLettersAfter, lastSeq, messagesAfter, postBatch, recordsAfter, type NatsTools } from './helpers.js';

/** Where GA's senders post, with the write key as api_secret. */
const collect = (key: string, path = '/mp/collect') => `${path}?measurement_id=G-CONTRACT1&api_secret=${encodeURIComponent(key)}`;
/** What a server library's agent becomes: a server SDK's, which the aggregator does not count as a bot. */
const LIBRARY_UA = 'python-requests/2.32.3';
const MARKED_UA = `pulse-sdk-ga4 (${LIBRARY_UA})`;

/**
 * The GA4 Measurement Protocol routes (`/mp/collect`, `/debug/mp/collect`), part of the contract
 * suite so both runtimes run them against a real nats-server; the events are read back from EVENTS
 * as the aggregator reads them.
 */
export function defineGa4Contract(ctx: () => { url: string; t: NatsTools }): void {
  const post = (body: unknown, path: string, headers: Record<string, string> = {}) =>
    postBatch(ctx().url, typeof body === 'string' ? body : JSON.stringify(body), { path, headers: { 'user-agent': LIBRARY_UA, ...headers } });

  it('takes a GA4 request of page_view, purchase, a custom event and session_start: 200 with the counts after the PubAck, the translated events in EVENTS', async () => {
    const { t } = ctx();
    const { key, siteId } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const at = Date.now() - 2_000;
    const items = [{ item_id: 'SKU_1', item_name: 'Shirt', price: 24.95, quantity: 2 }];
    const body = {
      client_id: '1234567.7654321',
      user_id: 'u-42',
      timestamp_micros: at * 1000,
      user_properties: { tier: { value: 'gold' } },
      ip_override: '203.0.113.99',
      non_personalized_ads: false,
      events: [
        { name: 'session_start', params: { session_id: 1_714_564_800 } },
        {
          name: 'page_view',
          params: {
            page_location: 'https://shop.example/pricing?utm_source=news',
            page_referrer: 'https://news.example/',
            page_title: 'Pricing',
            session_id: 1_714_564_800,
            engagement_time_msec: 100,
            language: 'de-de',
            screen_resolution: '1920x1080',
          },
        },
        { name: 'purchase', params: { transaction_id: 'T-1001', value: 49.9, currency: 'eur', tax: 4.9, items, session_id: 1_714_564_800 } },
        { name: 'tutorial_complete', timestamp_micros: (at - 500) * 1000, params: { step: 3, context: { source: 'onboarding' } } },
      ],
    };
    const r = await post(body, collect(key));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 3, ignored: 1, rejected: [] });

    // A record with its translated events (version 1), never a raw one: the body is not Pulse's format.
    expect((await messagesAfter(t.jsm, before)).map((m) => m.v)).toEqual([1]);
    const records = await recordsAfter(t.jsm, before);
    expect(records).toHaveLength(1);
    const record = records[0] as StreamRecord;
    // The socket's address, never ip_override.
    expect({ ...record, events: [] }).toEqual({ site_id: siteId, received_at: expect.any(Number), ip: '127.0.0.1', ua: MARKED_UA, country: '', events: [] });
    const common = { visitor_id: '1234567.7654321', user_id: 'u-42' };
    expect(record.events).toEqual([
      {
        // Made by the collector from the request (<instance>-<seq>) and the event's index, 1.
        id: expect.stringMatching(/\.1$/),
        name: 'pageview',
        ts: at,
        url: 'https://shop.example/pricing?utm_source=news',
        referrer: 'https://news.example/',
        title: 'Pricing',
        ...common,
        session_id: '1714564800',
        lang: 'de-de',
        screen_width: 1920,
        props: { 'user.tier': 'gold' },
      },
      {
        id: 'ga4-purchase-T-1001',
        name: 'purchase',
        ts: at,
        ...common,
        session_id: '1714564800',
        revenue: { amount: 49.9, currency: 'EUR' },
        props: { transaction_id: 'T-1001', tax: 4.9, items: JSON.stringify(items), 'user.tier': 'gold' },
      },
      { id: expect.stringMatching(/\.3$/), name: 'tutorial_complete', ts: at - 500, ...common, props: { step: 3, 'context.source': 'onboarding', 'user.tier': 'gold' } },
    ]);
    // One request, one id base.
    expect(record.events[0]?.id.replace(/\.1$/, '')).toBe(record.events[2]?.id.replace(/\.3$/, ''));
  });

  it('keeps the id of a resent purchase (from its transaction_id), so the pipeline stores it once', async () => {
    const { t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const body = { client_id: 'c-1', events: [{ name: 'purchase', params: { transaction_id: 'T-RETRY', value: 10, currency: 'USD' } }, { name: 'tutorial_begin' }] };
    for (let i = 0; i < 2; i++) expect((await post(body, collect(key))).json).toEqual({ accepted: 2, ignored: 0, rejected: [] });
    const ids = (await recordsAfter(t.jsm, before)).map((rec) => rec.events.map((e) => e.id));
    expect(ids.map((r) => r[0])).toEqual(['ga4-purchase-T-RETRY', 'ga4-purchase-T-RETRY']);
    // Other GA4 events carry no id: each request's are its own.
    expect(ids[0]?.[1]).not.toBe(ids[1]?.[1]);
  });

  it('refuses a missing, malformed, unknown or revoked api_secret with 401, on both paths, storing nothing', async () => {
    const { t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const revoked = await createWriteKey(t.kv);
    const one = { client_id: 'c', events: [{ name: 'e' }] };
    expect((await post(one, collect(revoked.key))).status).toBe(200);
    await t.kv.delete(revoked.key);
    // Revocation reaches the GA4 route as any other (the key watch drops it within milliseconds).
    let status = 0;
    for (let i = 0; i < 100 && status !== 401; i++) status = (await post(one, collect(revoked.key))).status;
    expect(status).toBe(401);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const cases: Array<[string, string]> = [
      ['/mp/collect?measurement_id=G-CONTRACT1', 'missing_key'],
      ['/mp/collect?measurement_id=G-CONTRACT1&api_secret=', 'invalid_key'],
      // A GA secret left in place after changing the host.
      ['/mp/collect?measurement_id=G-CONTRACT1&api_secret=Zx9-aBcDeFgHiJkLmN', 'invalid_key'],
      [collect(`wk_${'Q'.repeat(32)}`), 'invalid_key'],
      [collect(`wk_${'Q'.repeat(32)}`, '/debug/mp/collect'), 'invalid_key'],
      [collect(key).replace('api_secret', 'api_secrets'), 'missing_key'],
    ];
    for (const [path, code] of cases) {
      const r = await post(one, path);
      expect({ path, status: r.status, code: r.json?.error?.code }).toEqual({ path, status: 401, code });
    }
    expect((await post(one, collect(revoked.key))).status).toBe(401);
    expect(await lastSeq(t.jsm)).toBe(before);
    expect(await lastSeq(t.jsm, DLQ_STREAM)).toBe(dlqBefore);
  });

  it('lists refused events by their GA4 index and dead-letters them with the request, without ip_override', async () => {
    const { t } = ctx();
    const { key, siteId } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const events = [
      { name: 'user_engagement', params: { engagement_time_msec: 5_000 } },
      { name: 'page_view', params: { page_title: 'No location' } },
      { name: 'level_up', params: { level: 2 } },
      { name: 'purchase', params: { transaction_id: 'T-9', value: 12 } },
      // Past GA's 25 params only nested (Pulse's extension), to Pulse's own limit of 64 props.
      { name: 'many', params: { bag: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i])) } },
      { name: 'old', timestamp_micros: (Date.now() - 8 * 86_400_000) * 1000 },
    ];
    const r = await post({ client_id: 'c-9', ip_override: '203.0.113.99', user_data: { sha256_email_address: ['00ff'] }, events }, collect(key));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      accepted: 1,
      ignored: 1,
      rejected: [
        { index: 1, reason: 'pageview_without_url' },
        { index: 3, reason: 'invalid_type:revenue.currency' },
        { index: 4, reason: 'too_many_props' },
        { index: 5, reason: 'too_old' },
      ],
    });
    expect((await recordsAfter(t.jsm, before)).flatMap((rec) => rec.events.map((e) => [e.name, e.props]))).toEqual([['level_up', { level: 2 }]]);
    const letters = await deadLettersAfter(t.jsm, dlqBefore);
    expect(letters).toEqual([
      {
        v: 1,
        source: 'collector',
        format: 'ga4',
        site_id: siteId,
        received_at: expect.any(Number),
        ua: MARKED_UA,
        country: '',
        request: { client_id: 'c-9' },
        items: [
          { index: 1, reason: 'pageview_without_url', event: events[1] },
          { index: 3, reason: 'invalid_type:revenue.currency', event: events[3] },
          { index: 4, reason: 'too_many_props', event: events[4] },
          { index: 5, reason: 'too_old', event: events[5] },
        ],
      },
    ]);
  });

  it('answers bad JSON with 400 and more than 25 events or an oversize body with 413, storing nothing', async () => {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const events = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `e${i}` }));
    const cases: Array<[string, number, string]> = [
      ['{"client_id": "c", "events": [{"name": "e",', 400, 'invalid_json'],
      ['', 400, 'invalid_json'],
      ['[{"name": "page_view"}]', 400, 'not_a_batch'],
      ['{"client_id": "c"}', 400, 'not_a_batch'],
      [JSON.stringify({ client_id: 'c', events: events(26) }), 413, 'too_many_events'],
      [JSON.stringify({ client_id: 'c', events: [{ name: 'big', params: { blob: 'x'.repeat(600 * 1024) } }] }), 413, 'body_too_large'],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(body, collect(key));
      expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
    }
    expect(await lastSeq(t.jsm)).toBe(before);
    // Only POST, and the collector is fine afterwards: 25 events is GA's limit, and Pulse's here.
    expect((await fetch(`${url}${collect(key)}`)).status).toBe(405);
    expect((await post({ client_id: 'c', events: events(25) }, collect(key))).json).toEqual({ accepted: 25, ignored: 0, rejected: [] });
  });

  it("answers /debug/mp/collect with GA's validationMessages for what /mp/collect would refuse, publishing nothing", async () => {
    const { t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const debug = collect(key, '/debug/mp/collect');
    const body = {
      client_id: 'c',
      events: [
        { name: 'page_view', params: { page_location: 'https://shop.example/' } },
        { name: 'first_visit' },
        { name: 'purchase', params: { value: 12, currency: 'euro' } },
        { name: 'page_view', params: { page_location: 'not a url' } },
      ],
    };
    const r = await post(body, debug);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      validationMessages: [
        { fieldPath: 'events.name', validationCode: 'NAME_RESERVED', description: 'Event at index: [1] has name [first_visit], an event Pulse derives from the others: it is not stored.' },
        {
          fieldPath: 'events.params.currency',
          validationCode: 'VALUE_INVALID',
          description: 'Event at index: [2] is refused (invalid_value:revenue.currency): currency is a 3-letter ISO 4217 code.',
        },
        {
          fieldPath: 'events.params.page_location',
          validationCode: 'VALUE_INVALID',
          description: "Event at index: [3] is refused (invalid_url:url): a page_view's page_location is an http(s) URL or a path starting with /.",
        },
      ],
    });
    const garbled = await post('{"events": [', debug);
    expect({ status: garbled.status, messages: garbled.json.validationMessages }).toEqual({
      status: 200,
      messages: [{ fieldPath: '', validationCode: 'VALUE_INVALID', description: expect.stringMatching(/^Unable to parse the body as JSON: /) }],
    });
    const tooMany = await post({ client_id: 'c', events: Array.from({ length: 26 }, () => ({ name: 'e' })) }, debug);
    expect(tooMany.json).toEqual({ validationMessages: [{ fieldPath: 'events', validationCode: 'EXCEEDED_MAX_ENTITIES', description: 'a request holds at most 25 events, got 26.' }] });
    expect((await post({ client_id: 'c', events: [{ name: 'fine' }] }, debug)).json).toEqual({ validationMessages: [] });
    expect(await lastSeq(t.jsm)).toBe(before);
    expect(await lastSeq(t.jsm, DLQ_STREAM)).toBe(dlqBefore);
  });

  it("takes a request at every one of GA's limits whole, and counts each event once", async () => {
    const { t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const params = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, j) => [`p${j}_`.padEnd(40, 'k'), 'v'.repeat(100)]));
    const page = { page_location: `https://shop.example/${'p'.repeat(979)}`, page_referrer: `https://ref.example/${'r'.repeat(400)}`, page_title: 't'.repeat(300) };
    const events = [
      { name: 'page_view', params: { ...page, ...params(22) } },
      ...Array.from({ length: 24 }, (_, i) => ({ name: `e${i}_`.padEnd(40, 'x'), params: params(25) })),
    ];
    const user_properties = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`u${i}_`.padEnd(24, 'n'), { value: 'v'.repeat(36) }]));
    const r = await post({ client_id: 'c-limits', user_properties, events }, collect(key));
    expect(r.json).toEqual({ accepted: 25, ignored: 0, rejected: [] });
    const stored = (await recordsAfter(t.jsm, before)).flatMap((rec) => rec.events);
    expect(stored).toHaveLength(25);
    expect(new Set(stored.map((e) => e.id)).size).toBe(25);
    const view = stored.find((e) => e.name === 'pageview');
    expect([view?.url?.length, view?.referrer?.length, view?.title?.length, Object.keys(view?.props ?? {}).length]).toEqual([1000, 420, 300, 47]);
    expect(await lastSeq(t.jsm, DLQ_STREAM)).toBe(dlqBefore);
  });

  it("refuses each event breaking one of GA's rules with its reason and dead-letters it, accepting the others", async () => {
    const { t } = ctx();
    const { key, siteId } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const events = [
      { name: 'sign_up', params: { method: 'email' } },
      { name: '_badEventName', params: {} },
      { name: 'e'.repeat(41) },
      { name: 'add-to-cart' },
      { name: 'error' },
      { name: 'firebase_custom' },
      { name: 'e', params: { '2nd_try': 1 } },
      { name: 'e', params: { google_source: 'x' } },
      { name: 'e', params: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`p${i}`, i])) },
      { name: 'e', params: { note: 'n'.repeat(101) } },
      { name: 'page_view', params: { page_location: 'https://shop.example/', page_title: 't'.repeat(301) } },
      { name: 'purchase', params: { transaction_id: 'T-GA', value: 5, currency: 'EUR', items: [{ item_id: 'SKU_1', item_name: 'n'.repeat(101) }] } },
      { name: 'session_start' },
      { name: 'level_up', params: { level: 3 } },
    ];
    const r = await post({ client_id: 'c-rules', events }, collect(key));
    const rejected = [
      { index: 1, reason: 'ga4_name_invalid:name' },
      { index: 2, reason: 'ga4_name_invalid:name' },
      { index: 3, reason: 'ga4_name_invalid:name' },
      { index: 4, reason: 'ga4_name_reserved:name' },
      { index: 5, reason: 'ga4_name_reserved:name' },
      { index: 6, reason: 'ga4_name_invalid:params.2nd_try' },
      { index: 7, reason: 'ga4_name_reserved:params.google_source' },
      { index: 8, reason: 'ga4_exceeded_max_entities:params' },
      { index: 9, reason: 'ga4_value_out_of_bounds:params.note' },
      { index: 10, reason: 'ga4_value_out_of_bounds:params.page_title' },
      { index: 11, reason: 'ga4_value_out_of_bounds:params.items.item_name' },
    ];
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 2, ignored: 1, rejected });
    expect((await recordsAfter(t.jsm, before)).flatMap((rec) => rec.events.map((e) => e.name))).toEqual(['sign_up', 'level_up']);
    const letters = await deadLettersAfter(t.jsm, dlqBefore);
    expect(letters).toEqual([
      expect.objectContaining({ format: 'ga4', site_id: siteId, request: { client_id: 'c-rules' }, items: rejected.map((x) => ({ ...x, event: events[x.index] })) }),
    ]);
  });

  it("refuses every event of a request whose user properties break GA's rules, and a body of 130 kB or more whole", async () => {
    const { t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const events = [{ name: 'a' }, { name: 'first_visit' }, { name: 'b' }];
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ user_id: { value: 'u-1' } }, 'ga4_name_reserved:user_properties.user_id'],
      [{ ['n'.repeat(25)]: { value: 1 } }, `ga4_name_invalid:user_properties.${'n'.repeat(25)}`],
      [{ tier: { value: 'v'.repeat(37) } }, 'ga4_value_out_of_bounds:user_properties.tier'],
      [Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`u${i}`, { value: i }])), 'ga4_exceeded_max_entities:user_properties'],
    ];
    for (const [user_properties, reason] of cases) {
      const r = await post({ client_id: 'c', user_properties, events }, collect(key));
      expect({ reason, json: r.json }).toEqual({ reason, json: { accepted: 0, ignored: 1, rejected: [{ index: 0, reason }, { index: 2, reason }] } });
    }
    expect(await lastSeq(t.jsm)).toBe(before);
    expect((await deadLettersAfter(t.jsm, dlqBefore)).map((l) => (l as { items: unknown[] }).items.length)).toEqual([2, 2, 2, 2]);

    // 130 kB and more: GA takes none of it; well under the collector's own 512 KiB.
    const big = JSON.stringify({ client_id: 'c', events: [{ name: 'big', params: { bag: { blob: 'x'.repeat(140_000) } } }] });
    const refused = await post(big, collect(key));
    expect({ status: refused.status, code: refused.json?.error?.code }).toEqual({ status: 413, code: 'body_too_large' });
    const checked = await post(big, collect(key, '/debug/mp/collect'));
    expect({ status: checked.status, json: checked.json }).toEqual({
      status: 200,
      json: { validationMessages: [{ fieldPath: '', validationCode: 'VALUE_OUT_OF_BOUNDS', description: `The post body must be smaller than 130kB (133120 bytes), got ${big.length} bytes.` }] },
    });
    expect(await lastSeq(t.jsm)).toBe(before);
  });

  it("answers /debug/mp/collect with GA's messages for each rule broken, publishing nothing", async () => {
    const { t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
    const debug = collect(key, '/debug/mp/collect');
    // Google's own example (validating-events), word for word, then Pulse's reason.
    expect((await post({ app_instance_id: 'APP_INSTANCE_ID', events: [{ name: '_badEventName', params: {} }] }, debug)).json).toEqual({
      validationMessages: [
        {
          fieldPath: 'events',
          validationCode: 'NAME_INVALID',
          description: 'Event at index: [0] has invalid name [_badEventName]. Names must start with an alphabetic character. Refused (ga4_name_invalid:name).',
        },
      ],
    });
    const body = {
      client_id: 'c',
      user_properties: { first_open_time: { value: 1 } },
      events: [
        { name: 'ad_click', params: { '2nd': 1, page_referrer: 'r'.repeat(421) } },
        { name: 'e', params: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`p${i}`, i])) },
      ],
    };
    const r = await post(body, debug);
    expect(r.status).toBe(200);
    expect(r.json.validationMessages.map((m: { fieldPath: string; validationCode: string; description: string }) => [m.fieldPath, m.validationCode, m.description.slice(0, 20)])).toEqual([
      ['events', 'NAME_RESERVED', 'Event at index: [0] '],
      ['events.params.2nd', 'NAME_INVALID', 'Event at index: [0] '],
      ['events.params.page_referrer', 'VALUE_OUT_OF_BOUNDS', 'Event at index: [0] '],
      ['user_properties.first_open_time', 'NAME_RESERVED', 'Event at index: [0] '],
      ['events.params', 'EXCEEDED_MAX_ENTITIES', 'Event at index: [1] '],
      ['user_properties.first_open_time', 'NAME_RESERVED', 'Event at index: [1] '],
    ]);
    expect(await lastSeq(t.jsm)).toBe(before);
    expect(await lastSeq(t.jsm, DLQ_STREAM)).toBe(dlqBefore);
  });
}
