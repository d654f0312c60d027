import { connect as tcpConnect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_STREAM, MAX_EVENTS_PER_BATCH, type RawStreamRecord } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { startNats, tempDir, type TempDir, type TestNats } from '@pulse/testkit';
import {
  createWriteKey,
  deadLettersAfter,
  lastSeq,
  messagesAfter,
  natsTools,
  pageviews,
  postBatch,
  rawRequest,
  recordsAfter,
  sleep,
  startCollector,
  type NatsTools,
  type RunningCollector,
  type Runtime,
} from './helpers.js';
import { defineEventFieldContract } from './contract-fields.js';
import { defineSegmentContract } from './contract-segment.js';
import { defineGa4Contract } from './contract-ga4.js';

const SCRIPT = '/*pulse*/(function(){window.pulse=1})();';

/** What every runtime adapter must do, checked against the real built entrypoint as a child process. */
export function defineContractSuite(runtime: Runtime): void {
  describe(`collector contract on ${runtime}`, () => {
    let nats: TestNats;
    let t: NatsTools;
    let c: RunningCollector;
    let dir: TempDir;

    beforeAll(async () => {
      nats = await startNats();
      t = await natsTools(nats.url);
      dir = tempDir('pulse-collector-test-');
      const scriptFile = join(dir.path, 'script.js');
      writeFileSync(scriptFile, SCRIPT);
      c = await startCollector(runtime, nats.url, {
        COLLECTOR_SCRIPT_FILE: scriptFile,
        COLLECTOR_BODY_TIMEOUT_MS: '1500',
        COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '20',
        COLLECTOR_RATE_LIMIT_BURST: '600',
        COLLECTOR_TRUSTED_PROXIES: '127.0.0.1/32,::1',
        COLLECTOR_COUNTRY_HEADER: 'CF-IPCountry',
      });
    });

    afterAll(async () => {
      await c?.stop('SIGKILL');
      await t?.nc.close();
      await nats?.cleanup();
      dir?.remove();
    });

    it('answers healthz, readyz, metrics and serves script.js', async () => {
      expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${c.url}/readyz`);
      expect(ready.status).toBe(200);
      const script = await fetch(`${c.url}/script.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toContain('javascript');
      expect(await script.text()).toBe(SCRIPT);
      const metrics = await (await fetch(`${c.url}/metrics`)).text();
      expect(metrics).toContain('pulse_collector_requests_total{route="readyz",status="200"}');
      expect(metrics).toContain('# TYPE pulse_collector_publish_seconds histogram');
      const missing = await fetch(`${c.url}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
      const wrongMethod = await fetch(`${c.url}/v1/batch`);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST, OPTIONS');
      const postToScript = await fetch(`${c.url}/script.js`, { method: 'POST', body: '{}' });
      expect(postToScript.status).toBe(405);
      expect(postToScript.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      // HEAD: GET's status and headers, the body's length, no body.
      const head = await fetch(`${c.url}/script.js`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toContain('javascript');
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(SCRIPT)));
      expect(await head.text()).toBe('');
      expect((await fetch(`${c.url}/readyz`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`${c.url}/v1/batch`, { method: 'HEAD' })).status).toBe(405);
    });

    it('answers CORS preflights with a max-age', async () => {
      const r = await fetch(`${c.url}/v1/batch`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-allow-methods')).toContain('POST');
      expect(r.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(Number(r.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    });

    it('accepts msgpack, JSON and text/plain bodies and puts every event in EVENTS', async () => {
      const { key, siteId } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const sentAt = Date.now() - 3_600_000; // the client clock is an hour behind
      const a = pageviews(3, { ts: sentAt - 1_000 });
      const b = pageviews(2);
      const cJson = pageviews(1);
      const cPack = pageviews(1);
      const ua = 'Mozilla/5.0 (contract test)';
      const r1 = await postBatch(c.url, encodeMsgpack({ sent_at: sentAt, events: a }), { key, headers: { 'user-agent': ua } });
      const r2 = await postBatch(c.url, JSON.stringify({ events: b }), { key, headers: { 'user-agent': ua } });
      const r3 = await postBatch(c.url, JSON.stringify({ events: cJson }), { key, keyInQuery: true, contentType: 'text/plain;charset=UTF-8', headers: { 'user-agent': ua } });
      const r4 = await postBatch(c.url, encodeMsgpack({ events: cPack }), { key, keyInQuery: true, contentType: 'text/plain', headers: { 'user-agent': ua } });
      for (const [r, n] of [[r1, 3], [r2, 2], [r3, 1], [r4, 1]] as const) {
        expect(r.status).toBe(202);
        expect(r.json).toEqual({ accepted: n, rejected: [] });
      }
      const records = await recordsAfter(t.jsm, before);
      const events = records.flatMap((r) => r.events);
      expect(events.map((e) => e.id).sort()).toEqual([...a, ...b, ...cJson, ...cPack].map((e) => e.id).sort());
      for (const r of records) {
        expect(r.site_id).toBe(siteId);
        expect(r.ip).toBe('127.0.0.1');
        expect(r.ua).toBe(ua);
        expect(r.country).toBe('');
        expect(Math.abs(r.received_at - Date.now())).toBeLessThan(30_000);
      }
      // Skew correction: ts + (received_at - sent_at) ≈ one second before receipt.
      const first = records.find((r) => r.events.some((e) => e.id === a[0]?.id));
      const corrected = first?.events.find((e) => e.id === a[0]?.id)?.ts ?? 0;
      expect(Math.abs(corrected - ((first?.received_at ?? 0) - 1_000))).toBeLessThan(5);
    });

    it('keeps a fully accepted body as sent (a raw record, version 2) and re-encodes the accepted part of a partly rejected one', async () => {
      const { key } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      // No client ids: the collector names them, and the raw record must expand to the same names.
      const packed = encodeMsgpack({ sent_at: Date.now() - 60_000, events: [{ name: 'a', ts: Date.now() - 61_000 }, { name: 'b' }] });
      const json = ` ${JSON.stringify({ events: [{ name: 'c', id: 'client-c' }] })}`;
      const partly = JSON.stringify({ events: [{ name: 'd' }, { name: '' }] });
      const reads = async () => {
        const text = await (await fetch(`${c.url}/metrics`)).text();
        const count = (read: string) => Number(new RegExp(`^pulse_collector_body_reads_total\\{read="${read}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
        return { scan: count('scan'), decode: count('decode') };
      };
      const readsBefore = await reads();
      expect((await postBatch(c.url, packed, { key })).json).toEqual({ accepted: 2, rejected: [] });
      expect((await postBatch(c.url, json, { key, contentType: 'text/plain' })).json).toEqual({ accepted: 1, rejected: [] });
      expect((await postBatch(c.url, partly, { key })).json).toMatchObject({ accepted: 1 });
      // The msgpack body was vouched for by the scan, never decoded; the JSON ones were decoded.
      const readsAfter = await reads();
      expect({ scan: readsAfter.scan - readsBefore.scan, decode: readsAfter.decode - readsBefore.decode }).toEqual({ scan: 1, decode: 2 });
      const messages = await messagesAfter(t.jsm, before);
      expect(messages.map((m) => m.v)).toEqual([2, 2, 1]);
      const [rawPack, rawJson] = messages.flatMap((m) => m.records) as RawStreamRecord[];
      expect(Buffer.from(rawPack?.body ?? []).equals(Buffer.from(packed))).toBe(true);
      expect(rawPack?.format).toBe('msgpack');
      expect(Buffer.from(rawJson?.body ?? []).toString()).toBe(json);
      expect(rawJson?.format).toBe('json');
      const events = (await recordsAfter(t.jsm, before)).map((r) => r.events);
      expect(events.map((es) => es.map((e) => e.name))).toEqual([['a', 'b'], ['c'], ['d']]);
      const generated = [events[0]?.[0]?.id, events[0]?.[1]?.id, events[2]?.[0]?.id];
      expect(generated.every((id) => /^[\w-]+-[0-9a-z]+\.[0-9a-z]+$/.test(id ?? ''))).toBe(true);
      expect(new Set(generated).size).toBe(3);
      expect(events[1]?.[0]?.id).toBe('client-c');
      // Clock correction as for re-encoded events: one second before receipt.
      expect(Math.abs((events[0]?.[0]?.ts ?? 0) - ((rawPack?.received_at ?? 0) - 1_000))).toBeLessThan(5);
    });

    it('takes the client address and country from a trusted proxy', async () => {
      const { key } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7', 'cf-ipcountry': 'de' };
      expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key, headers })).status).toBe(202);
      const unknownCountry = { 'x-forwarded-for': '2001:db8::7', 'cf-ipcountry': 'XX' };
      expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key, headers: unknownCountry })).status).toBe(202);
      const records = await recordsAfter(t.jsm, before);
      expect(records.map((r) => [r.ip, r.country])).toEqual([
        ['203.0.113.7', 'DE'],
        ['2001:db8::7', ''],
      ]);
    });

    it('refuses missing, unknown and malformed write keys with 401', async () => {
      const body = JSON.stringify({ events: pageviews(1) });
      const missing = await postBatch(c.url, body);
      expect(missing.status).toBe(401);
      expect(missing.json.error.code).toBe('missing_key');
      const unknown = await postBatch(c.url, body, { key: 'wk_' + 'Z'.repeat(32) });
      expect(unknown.status).toBe(401);
      expect(unknown.json.error.code).toBe('invalid_key');
      const malformed = await postBatch(c.url, body, { key: 'wk_*.>', keyInQuery: true });
      expect(malformed.status).toBe(401);
      const notBearer = await postBatch(c.url, body, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
      expect(notBearer.status).toBe(401);
    });

    it('stops accepting a revoked key within 2 s', async () => {
      const { key } = await createWriteKey(t.kv);
      const body = JSON.stringify({ events: pageviews(1) });
      expect((await postBatch(c.url, body, { key })).status).toBe(202);
      const revokedAt = Date.now();
      await t.kv.delete(key);
      let status = 0;
      while (Date.now() - revokedAt < 5_000) {
        status = (await postBatch(c.url, body, { key })).status;
        if (status === 401) break;
        await sleep(20);
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
      // A key created after a negative answer works (the watch sees the PUT).
      const fresh = await createWriteKey(t.kv);
      expect((await postBatch(c.url, body, { key: fresh.key })).status).toBe(202);
    });

    it('answers malformed bodies with 400 and unknown content types with 415', async () => {
      const { key } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const cases: Array<[Uint8Array | string, string | null, number, string]> = [
        [new Uint8Array([0xc1, 0xc1, 0xc1]), 'application/msgpack', 400, 'invalid_msgpack'],
        [encodeMsgpack({ events: pageviews(2) }).slice(0, 20), 'application/msgpack', 400, 'invalid_msgpack'],
        ['{"events": [', 'application/json', 400, 'invalid_json'],
        ['[1,2,3]', 'application/json', 400, 'not_a_batch'],
        ['{"events": {"name": "x"}}', 'application/json', 400, 'not_a_batch'],
        ['{"sent_at": "yesterday", "events": []}', 'application/json', 400, 'invalid_sent_at'],
        [new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json', 400, 'invalid_utf8'],
        [new Uint8Array(0), 'application/msgpack', 400, 'invalid_msgpack'],
        ['{"events": []}', 'application/xml', 415, 'unsupported_media_type'],
      ];
      for (const [body, type, status, code] of cases) {
        const r = await postBatch(c.url, body, { key, contentType: type });
        expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
        expect(typeof r.json.error.message).toBe('string');
      }
      // Compressed bodies are not read: a clear 415 instead of a garbage-body 400 (or, for a
      // body that happens to decode, events taken from bytes the client meant otherwise).
      for (const encoding of ['gzip', 'br', 'deflate, gzip']) {
        const body = encoding === 'gzip' ? gzipSync(JSON.stringify({ events: pageviews(1) })) : JSON.stringify({ events: pageviews(1) });
        const r = await postBatch(c.url, body, { key, contentType: 'application/json', headers: { 'content-encoding': encoding } });
        expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: 415, code: 'unsupported_content_encoding' });
      }
      expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key, headers: { 'content-encoding': 'identity' } })).status).toBe(202);
      const afterIdentity = await lastSeq(t.jsm);
      expect(afterIdentity).toBe(before + 1);
      expect(await lastSeq(t.jsm)).toBe(afterIdentity);
    });

    it('answers oversize bodies and over-limit batches with 413', async () => {
      const { key } = await createWriteKey(t.kv);
      const huge = JSON.stringify({ events: [{ name: 'x', props: { a: 'y'.repeat(600 * 1024) } }] });
      const r1 = await postBatch(c.url, huge, { key });
      expect(r1.status).toBe(413);
      expect(r1.json.error.code).toBe('body_too_large');
      const tooMany = JSON.stringify({ events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({ name: 'e' })) });
      const r2 = await postBatch(c.url, tooMany, { key });
      expect(r2.status).toBe(413);
      expect(r2.json.error.code).toBe('too_many_events');
      // The collector is still fine afterwards.
      expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status).toBe(202);
    });

    it('accepts the valid part of a batch, lists rejected indexes and dead-letters the rest', async () => {
      const { key, siteId } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const dlqBefore = await lastSeq(t.jsm, DLQ_STREAM);
      const [v1, v2] = pageviews(2);
      const batch = { events: [v1, { name: '' }, { name: 'pageview' }, v2, 'not an event', { name: 'buy', ts: Date.now() - 30 * 86_400_000 }] };
      const r = await postBatch(c.url, JSON.stringify(batch), { key });
      expect(r.status).toBe(202);
      expect(r.json).toEqual({
        accepted: 2,
        rejected: [
          { index: 1, reason: 'missing_name' },
          { index: 2, reason: 'pageview_without_url' },
          { index: 4, reason: 'not_an_object' },
          { index: 5, reason: 'too_old' },
        ],
      });
      const events = (await recordsAfter(t.jsm, before)).flatMap((x) => x.events);
      expect(events.map((e) => e.id)).toEqual([v1?.id, v2?.id]);
      const letters = await deadLettersAfter(t.jsm, dlqBefore);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ source: 'collector', site_id: siteId });
      expect(letters[0]?.items).toEqual([
        { index: 1, reason: 'missing_name', event: { name: '' } },
        { index: 2, reason: 'pageview_without_url', event: { name: 'pageview' } },
        { index: 4, reason: 'not_an_object', event: 'not an event' },
        { index: 5, reason: 'too_old', event: batch.events[5] },
      ]);
    });

    defineEventFieldContract(() => ({ url: c.url, t }));

    defineSegmentContract(() => ({ url: c.url, t }));

    defineGa4Contract(() => ({ url: c.url, t }));

    it('rate-limits per key with 429 and Retry-After, leaving other keys alone', async () => {
      const noisy = await createWriteKey(t.kv);
      const quiet = await createWriteKey(t.kv);
      const big = () => JSON.stringify({ events: pageviews(300) });
      expect((await postBatch(c.url, big(), { key: noisy.key })).status).toBe(202);
      expect((await postBatch(c.url, big(), { key: noisy.key })).status).toBe(202);
      const limited = await postBatch(c.url, big(), { key: noisy.key });
      expect(limited.status).toBe(429);
      expect(limited.json.error.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await postBatch(c.url, big(), { key: quiet.key })).status).toBe(202);
    });

    it('times out a body that trickles in (slowloris) with 408', async () => {
      const { key } = await createWriteKey(t.kv);
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const s = tcpConnect(c.port, '127.0.0.1');
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', (e) => (got ? resolve(got) : reject(e)));
        s.write(`POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\nContent-Length: 200\r\n\r\n{"ev`);
        const drip = setInterval(() => s.write(' '), 200);
        s.on('close', () => clearInterval(drip));
        setTimeout(() => s.destroy(), 10_000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(answer).toContain('body_timeout');
      expect(Date.now() - started).toBeLessThan(6_000);
    });

    it('takes a beacon whose Host header is not a usable host (never a 500 or a dropped connection)', async () => {
      // Bun's req.url is then the bare request target, on which `new URL` throws.
      const { key } = await createWriteKey(t.kv);
      const body = JSON.stringify({ events: pageviews(1) });
      for (const host of ['a b', '[::', '', 'a/b?c#d']) {
        const head =
          `POST /v1/batch?key=${key} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
        const r = await rawRequest(c.port, head, [body]);
        expect(r.status, `Host: ${host}`).toBe(202);
        expect(JSON.parse(r.body), `Host: ${host}`).toEqual({ accepted: 1, rejected: [] });
      }
    });

    it('serves every route under a configured path prefix', async () => {
      const p = await startCollector(runtime, nats.url, { COLLECTOR_PATH_PREFIX: '/pulse' });
      try {
        const { key } = await createWriteKey(t.kv);
        expect((await postBatch(p.url, JSON.stringify({ events: pageviews(1) }), { key, path: '/pulse/v1/batch' })).status).toBe(202);
        expect((await postBatch(p.url, JSON.stringify({ events: pageviews(1) }), { key })).status).toBe(404);
        const segment = JSON.stringify({ writeKey: key, batch: [{ type: 'track', event: 'prefixed' }] });
        expect((await postBatch(p.url, segment, { path: '/pulse/segment/v1/batch' })).status).toBe(200);
        expect((await postBatch(p.url, segment, { path: '/segment/v1/batch' })).status).toBe(404);
        const ga4 = JSON.stringify({ client_id: 'c', events: [{ name: 'prefixed' }] });
        expect((await postBatch(p.url, ga4, { path: `/pulse/mp/collect?api_secret=${key}` })).status).toBe(200);
        expect((await postBatch(p.url, ga4, { path: `/pulse/debug/mp/collect?api_secret=${key}` })).json).toEqual({ validationMessages: [] });
        expect((await postBatch(p.url, ga4, { path: `/mp/collect?api_secret=${key}` })).status).toBe(404);
        expect((await fetch(`${p.url}/pulse/healthz`)).status).toBe(200);
        expect((await fetch(`${p.url}/pulse/script.js`)).status).toBe(200);
        expect((await fetch(`${p.url}/script.js`)).status).toBe(404);
        // Probes and scrapers find the operations routes at the root whatever the prefix.
        for (const route of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${p.url}${route}`)).status).toBe(200);
        // No trusted proxies here: forwarded headers are the client's own claims and are ignored.
        const before = await lastSeq(t.jsm);
        const headers = { 'x-forwarded-for': '203.0.113.7', 'cf-ipcountry': 'DE' };
        expect((await postBatch(p.url, JSON.stringify({ events: pageviews(1) }), { key, path: '/pulse/v1/batch', headers })).status).toBe(202);
        expect((await recordsAfter(t.jsm, before)).map((r) => [r.ip, r.country])).toEqual([['127.0.0.1', '']]);
      } finally {
        await p.stop('SIGKILL');
      }
    });

    it('answers 503 with Retry-After while NATS is down and recovers without a restart', async () => {
      const { key } = await createWriteKey(t.kv);
      const before = await lastSeq(t.jsm);
      const accepted: string[] = [];
      const refused: string[] = [];
      const send = async () => {
        const events = pageviews(2);
        const r = await postBatch(c.url, encodeMsgpack({ events }), { key });
        if (r.status === 202) accepted.push(...events.map((e) => e.id as string));
        else refused.push(...events.map((e) => e.id as string));
        return r;
      };
      expect((await send()).status).toBe(202);
      await nats.stop();
      for (let i = 0; i < 5; i++) {
        const r = await send();
        expect(r.status).toBe(503);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(r.json.error.code).toMatch(/unavailable/);
      }
      expect((await fetch(`${c.url}/readyz`)).status).toBe(503);
      await nats.restart();
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await send()).status;
        if (status === 202) break;
        await sleep(100);
      }
      expect(status).toBe(202);
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
      // The test's own connection may still be reconnecting, or JetStream recovering its streams,
      // when the collector's first publish goes through: its reads retry for a while.
      let records: Awaited<ReturnType<typeof recordsAfter>> | undefined;
      for (let attempt = 0; !records; attempt++) {
        try {
          records = await recordsAfter(t.jsm, before);
        } catch (err) {
          if (attempt >= 20) throw err;
          await sleep(500);
        }
      }
      const stored = new Set(records.flatMap((r) => r.events.map((e) => e.id)));
      for (const id of accepted) expect(stored.has(id)).toBe(true);
      for (const id of refused) expect(stored.has(id)).toBe(false);
    });

    it('drains and exits 0 on SIGTERM', async () => {
      const { key } = await createWriteKey(t.kv);
      expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status).toBe(202);
      expect(await c.stop('SIGTERM')).toBe(0);
      expect(c.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
      for (const line of c.logs) expect(() => JSON.parse(line)).not.toThrow();
    });
  });
}
