import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type TestNats } from '@pulse/testkit';
import {
  createWriteKey,
  natsTools,
  pageviews,
  postBatch,
  rawRequest,
  recordsAfter,
  repeatChunks,
  sleep,
  startCollector,
  validTraffic,
  type NatsTools,
  type RunningCollector,
  type Runtime,
} from './helpers.js';

async function storedIds(t: NatsTools, siteId: string): Promise<string[]> {
  return (await recordsAfter(t.jsm, 0)).filter((r) => r.site_id === siteId).flatMap((r) => r.events.map((e) => e.id));
}

/** Faults under load: NATS outages, shutdowns, revocations across collectors. */
export function defineChaosSuite(runtime: Runtime): void {
  describe(`collector under faults on ${runtime}`, () => {
    let nats: TestNats;
    let t: NatsTools;
    const collectors: RunningCollector[] = [];
    const start = async (env: Record<string, string> = {}) => {
      const c = await startCollector(runtime, nats.url, { COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '0', COLLECTOR_PUBLISH_TIMEOUT_MS: '2000', ...env });
      collectors.push(c);
      return c;
    };

    beforeAll(async () => {
      nats = await startNats();
      t = await natsTools(nats.url);
    });

    afterAll(async () => {
      for (const c of collectors) await c.stop('SIGKILL');
      await t?.nc.close();
      await nats?.cleanup();
    });

    it('answers only 503 while NATS is down mid-traffic, never 202 without the data, and resumes when it is back', async () => {
      const c = await start();
      const { key, siteId } = await createWriteKey(t.kv);
      const traffic = validTraffic(c.url, key, 4);
      await sleep(400);
      await nats.stop();
      await sleep(1_000);
      const downProbe = await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key });
      expect(downProbe.status).toBe(503);
      expect(Number(downProbe.headers.get('retry-after'))).toBeGreaterThan(0);
      await nats.restart();
      const deadline = Date.now() + 20_000;
      let resumed = false;
      while (!resumed && Date.now() < deadline) {
        resumed = (await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status === 202;
        if (!resumed) await sleep(100);
      }
      expect(resumed).toBe(true);
      await sleep(300);
      const result = await traffic.stop();
      expect([...result.statuses.keys()].filter((s) => s !== 202 && s !== 503)).toEqual([]);
      expect(result.statuses.get(503) ?? 0).toBeGreaterThan(0);
      const stored = await storedIds(t, siteId);
      const counts = new Map<string, number>();
      for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const id of result.acceptedIds) expect(counts.get(id)).toBe(1);
      // The key watch was re-opened after the reconnect: revocations still arrive.
      const revokedAt = Date.now();
      await t.kv.delete(key);
      let status = 0;
      while (Date.now() - revokedAt < 5_000 && status !== 401) {
        status = (await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status;
        if (status !== 401) await sleep(20);
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
    });

    it('leaves readiness and answers 503 at once while NATS is frozen, and comes back when it thaws', async () => {
      const c = await start({ COLLECTOR_PUBLISH_TIMEOUT_MS: '5000' });
      const { key } = await createWriteKey(t.kv);
      const body = () => JSON.stringify({ events: pageviews(1) });
      expect((await postBatch(c.url, body(), { key })).status).toBe(202);
      const pid = nats.pid as number;
      // A frozen server keeps its connections open: only unanswered pings tell.
      process.kill(pid, 'SIGSTOP');
      const frozenAt = Date.now();
      try {
        // The key watch may notice first (its own heartbeats); what makes batches fail fast is the
        // unanswered ping, so wait for readiness to name that.
        let reason = '';
        while (!/ping/.test(reason) && Date.now() - frozenAt < 6_000) {
          const r = await fetch(`${c.url}/readyz`);
          reason = r.status === 503 ? String(((await r.json()) as { error?: { message?: string } }).error?.message) : '';
          if (!/ping/.test(reason)) await sleep(100);
        }
        expect(reason).toMatch(/has not answered a ping/);
        expect(Date.now() - frozenAt).toBeLessThan(4_000);
        const sentAt = Date.now();
        const r = await postBatch(c.url, body(), { key });
        expect(r.status).toBe(503);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        // Not the 5 s publish timeout.
        expect(Date.now() - sentAt).toBeLessThan(1_000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const thawedAt = Date.now();
      let status = 0;
      while (status !== 202 && Date.now() - thawedAt < 5_000) {
        status = (await postBatch(c.url, body(), { key })).status;
        if (status !== 202) await sleep(100);
      }
      expect(status).toBe(202);
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    });

    it('recreates EVENTS when it disappears, answering 503 meanwhile and 202 again afterwards', async () => {
      const c = await start();
      const { key, siteId } = await createWriteKey(t.kv);
      const body = () => JSON.stringify({ events: pageviews(1) });
      expect((await postBatch(c.url, body(), { key })).status).toBe(202);
      await t.jsm.streams.delete('EVENTS');
      const statuses: number[] = [];
      const deadline = Date.now() + 15_000;
      const ids: string[] = [];
      while (Date.now() < deadline) {
        const events = pageviews(1);
        const r = await postBatch(c.url, JSON.stringify({ events }), { key });
        statuses.push(r.status);
        if (r.status === 202) {
          ids.push(events[0]?.id as string);
          break;
        }
        await sleep(100);
      }
      expect(statuses.at(-1)).toBe(202);
      expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
      expect(await storedIds(t, siteId)).toEqual(ids);
    });

    it('drains on SIGTERM under load: every request answered 202 is in the stream', async () => {
      const c = await start();
      const { key, siteId } = await createWriteKey(t.kv);
      const traffic = validTraffic(c.url, key, 6);
      await sleep(600);
      const exit = c.stop('SIGTERM');
      expect(await exit).toBe(0);
      const result = await traffic.stop();
      expect(result.acceptedIds.length).toBeGreaterThan(0);
      expect([...result.statuses.keys()].filter((s) => s !== 202 && s !== 503 && s !== 'network_error')).toEqual([]);
      const stored = new Set(await storedIds(t, siteId));
      const lost = result.acceptedIds.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
    });

    it('keeps memory bounded when many large bodies stall at once', async () => {
      const c = await start({ COLLECTOR_BODY_TIMEOUT_MS: '3000' });
      const { key } = await createWriteKey(t.kv);
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.child.pid}/status`, 'utf8'))?.[1]) * 1024;
      let peak = rss();
      const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      const head = `POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${500 * 1024}\r\n\r\n`;
      const answers = await Promise.all(
        Array.from({ length: 150 }, () => rawRequest(c.port, head, repeatChunks(chunk, 7), { timeoutMs: 15_000 }).then((r) => `${r.status}:${JSON.parse(r.body).error.code}`)),
      );
      clearInterval(sampler);
      const counts = new Map<string, number>();
      for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual(['408:body_timeout', '503:overloaded']);
      expect(peak).toBeLessThan(300 * 1024 * 1024);
      // Once the stalled bodies are gone the collector serves normally.
      expect((await postBatch(c.url, JSON.stringify({ events: pageviews(1) }), { key })).status).toBe(202);
    });

    it('holds one rate limit per key across collectors: what a key spent at one is spent at the other', async () => {
      const limit = { COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '1', COLLECTOR_RATE_LIMIT_BURST: '10' };
      const a = await start(limit);
      const b = await start(limit);
      const { key } = await createWriteKey(t.kv);
      expect((await postBatch(a.url, JSON.stringify({ events: pageviews(10) }), { key })).status).toBe(202);
      // Shared every 200 ms; without the sharing, b would take 10 more.
      await sleep(600);
      const there = await postBatch(b.url, JSON.stringify({ events: pageviews(2) }), { key });
      expect(there.status).toBe(429);
      expect(there.json.error.code).toBe('rate_limited');
    });

    it('propagates a revocation to two collectors within 2 s', async () => {
      const a = await start();
      const b = await start();
      const { key } = await createWriteKey(t.kv);
      const body = () => JSON.stringify({ events: pageviews(1) });
      expect((await postBatch(a.url, body(), { key })).status).toBe(202);
      expect((await postBatch(b.url, body(), { key })).status).toBe(202);
      const revokedAt = Date.now();
      await t.kv.delete(key);
      const waitFor401 = async (url: string) => {
        while (Date.now() - revokedAt < 5_000) {
          if ((await postBatch(url, body(), { key })).status === 401) return Date.now() - revokedAt;
          await sleep(20);
        }
        return Infinity;
      };
      const [ta, tb] = await Promise.all([waitFor401(a.url), waitFor401(b.url)]);
      expect(ta).toBeLessThan(2_000);
      expect(tb).toBeLessThan(2_000);
    });
  });
}
