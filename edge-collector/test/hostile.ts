import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_BATCH } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { startNats, type TestNats } from '@pulse/testkit';
import {
  chunked,
  createWriteKey,
  metricValue,
  natsTools,
  pageviews,
  postBatch,
  rawRequest,
  recordsAfter,
  repeatChunks,
  startCollector,
  validTraffic,
  type NatsTools,
  type RunningCollector,
  type Runtime,
} from './helpers.js';

const deepJson = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepMsgpack = (n: number) => new Uint8Array([...new Array<number>(n).fill(0x91), 0xc0]);

/** Hostile input must get a precise answer and never disturb other tenants' traffic. */
export function defineHostileSuite(runtime: Runtime): void {
  describe(`collector under hostile input on ${runtime}`, () => {
    let nats: TestNats;
    let t: NatsTools;
    let c: RunningCollector;

    beforeAll(async () => {
      nats = await startNats();
      t = await natsTools(nats.url);
      c = await startCollector(runtime, nats.url, { COLLECTOR_BODY_TIMEOUT_MS: '1500', COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '0' });
    });

    afterAll(async () => {
      await c?.stop('SIGKILL');
      await t?.nc.close();
      await nats?.cleanup();
    });

    it('answers every kind of bad input precisely while concurrent valid traffic is all accepted and counted', async () => {
      const good = await createWriteKey(t.kv);
      const bad = await createWriteKey(t.kv);
      const revoked = await createWriteKey(t.kv);
      expect((await postBatch(c.url, JSON.stringify({ events: [] }), { key: revoked.key })).status).toBe(202);
      await t.kv.delete(revoked.key);
      const acceptedBefore = await metricValue(c.url, 'pulse_collector_events_total', 'outcome="accepted"');
      const traffic = validTraffic(c.url, good.key, 4);

      const json = (body: string, o: { key?: string; type?: string | null } = {}) =>
        postBatch(c.url, body, { key: o.key ?? bad.key, contentType: o.type === undefined ? 'application/json' : o.type });
      const pack = (body: Uint8Array) => postBatch(c.url, body, { key: bad.key, contentType: 'application/msgpack' });
      const expectError = async (p: Promise<{ status: number; json: any }>, status: number, code: string | RegExp) => {
        const r = await p;
        expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code: expect.stringMatching(code) });
        expect(typeof r.json.error.message).toBe('string');
      };
      const expectRejected = async (p: Promise<{ status: number; json: any }>, reasons: string[]) => {
        const r = await p;
        expect(r.status).toBe(202);
        expect(r.json).toEqual({ accepted: 0, rejected: reasons.map((reason, index) => ({ index, reason })) });
      };

      // Garbage and truncated msgpack, invalid JSON, invalid UTF-8.
      await expectError(pack(new Uint8Array([0xc1, 1, 2, 3])), 400, 'invalid_msgpack');
      await expectError(pack(encodeMsgpack({ events: pageviews(3) }).slice(0, 31)), 400, 'invalid_msgpack');
      await expectError(pack(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x41])), 400, 'invalid_msgpack');
      await expectError(json('{"events": [{"name": "x",]}'), 400, 'invalid_json');
      await expectError(json('NaN'), 400, 'invalid_json');
      await expectError(postBatch(c.url, new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), { key: bad.key, contentType: 'application/json' }), 400, 'invalid_utf8');
      // Wrong types, whole body and per event.
      await expectError(json('"events"'), 400, 'not_a_batch');
      await expectError(json('{"events": "all of them"}'), 400, 'not_a_batch');
      await expectError(pack(encodeMsgpack([1, 2, 3])), 400, 'not_a_batch');
      await expectRejected(
        json(JSON.stringify({ events: [{ name: 5 }, { name: 'x', ts: 'now' }, { name: 'x', props: { a: { b: 1 } } }, { name: 'x', revenue: { amount: '1', currency: 'EUR' } }, null, [1]] })),
        ['invalid_type:name', 'invalid_type:ts', 'invalid_prop_value:a', 'invalid_type:revenue.amount', 'not_an_object', 'not_an_object'],
      );
      // Deeply nested values.
      await expectError(json(deepJson(200_000)), 400, /invalid_json|not_a_batch/);
      await expectError(pack(deepMsgpack(200_000)), 400, /invalid_msgpack|not_a_batch/);
      await expectRejected(json(`{"events": [{"name": "x", "props": {"a": ${deepJson(5_000)}}}]}`), ['invalid_prop_value:a']);
      // NaN and Infinity (msgpack can carry them).
      await expectError(pack(encodeMsgpack({ sent_at: NaN, events: [] })), 400, 'invalid_sent_at');
      await expectRejected(pack(encodeMsgpack({ events: [{ name: 'x', ts: Infinity }, { name: 'x', props: { n: NaN } }, { name: 'x', revenue: { amount: -Infinity, currency: 'EUR' } }] })), [
        'invalid_type:ts',
        'invalid_prop_value:n',
        'invalid_type:revenue.amount',
      ]);
      // Too big: declared, streamed without a length, too many events, one event too large.
      const tenMb = new Uint8Array(64 * 1024).fill(0x20);
      const head = (extra: string) => `POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bad.key}\r\nContent-Type: application/json\r\n${extra}\r\n`;
      const declared = await rawRequest(c.port, head(`Content-Length: ${10 * 1024 * 1024}\r\n`), repeatChunks(tenMb, 160));
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body).error.code).toBe('body_too_large');
      const streamed = await rawRequest(c.port, head('Transfer-Encoding: chunked\r\n'), repeatChunks(chunked(tenMb), 160));
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body).error.code).toBe('body_too_large');
      await expectError(json(JSON.stringify({ events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({ name: 'e' })) })), 413, 'too_many_events');
      await expectRejected(json(JSON.stringify({ events: [{ name: 'x', props: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])) }] })), ['event_too_large']);
      // A body that trickles in.
      const slow = await rawRequest(c.port, head('Content-Length: 100\r\n'), repeatChunks(new Uint8Array([0x20]), 100), { intervalMs: 100 });
      expect(slow.status).toBe(408);
      expect(JSON.parse(slow.body).error.code).toBe('body_timeout');
      // Content types and keys.
      await expectError(json('{"events": []}', { type: 'multipart/form-data; boundary=x' }), 415, 'unsupported_media_type');
      await expectError(postBatch(c.url, '{"events": []}'), 401, 'missing_key');
      await expectError(json('{"events": []}', { key: 'wk_' + '0'.repeat(32) }), 401, 'invalid_key');
      await expectError(json('{"events": []}', { key: revoked.key }), 401, 'invalid_key');
      await expectError(json('{"events": []}', { key: 'x'.repeat(2000) }), 401, 'invalid_key');

      const result = await traffic.stop();
      expect(Object.fromEntries(result.statuses)).toEqual({ 202: expect.any(Number) });
      expect(result.acceptedIds.length).toBeGreaterThan(0);
      const stored = (await recordsAfter(t.jsm, 0)).filter((r) => r.site_id === good.siteId).flatMap((r) => r.events.map((e) => e.id));
      expect(stored.length).toBe(result.acceptedIds.length);
      expect(new Set(stored)).toEqual(new Set(result.acceptedIds));
      const acceptedAfter = await metricValue(c.url, 'pulse_collector_events_total', 'outcome="accepted"');
      expect(acceptedAfter - acceptedBefore).toBe(result.acceptedIds.length);
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    });

    it('reports traffic in its metrics', async () => {
      const text = await (await fetch(`${c.url}/metrics`)).text();
      for (const name of [
        'pulse_collector_requests_total{route="batch",status="202"}',
        'pulse_collector_requests_total{route="batch",status="400"}',
        'pulse_collector_requests_total{route="batch",status="413"}',
        'pulse_collector_publish_seconds_bucket{le="0.005",result="ok"}',
        'pulse_collector_message_records_bucket{le="1"}',
        'pulse_collector_inflight_requests',
        'pulse_collector_events_total{outcome="rejected"}',
        'pulse_collector_dead_letters_total',
      ]) {
        expect(text).toContain(name);
      }
    });
  });
}
