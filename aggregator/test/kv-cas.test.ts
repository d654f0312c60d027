import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KV } from 'nats';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { KvCasError } from '../src/errors.js';
import { kvCasWriter } from '../src/kv-cas.js';
import { isKvConflict } from '../src/kv-conflict.js';

let nats: ConnectedNats;
let kv: KV;
beforeAll(async () => {
  nats = await startConnectedNats();
  kv = await nats.nc.jetstream().views.kv('CAS_TEST', { history: 1 });
});
afterAll(() => nats.cleanup());

const enc = new TextEncoder();
const text = (e: { value: Uint8Array } | null) => (e ? new TextDecoder().decode(e.value) : undefined);
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof KvCasError ? err.code : `untyped: ${String(err)}`),
  );

describe('kvCasWriter: compare-and-set writes answered on one inbox', () => {
  it('creates, updates on the right revision and refuses a stale one, like kv.put with previousSeq', async () => {
    const w = kvCasWriter(nats.nc, 'CAS_TEST');
    try {
      const r1 = await w.put('site.a', enc.encode('one'), 0);
      expect((await kv.get('site.a'))?.revision).toBe(r1);
      // Revision 0 means "no value yet": a second create loses.
      const lost = w.put('site.a', enc.encode('again'), 0);
      await expect(codeOf(lost)).resolves.toBe('kv_conflict');
      await expect(lost.catch((e: unknown) => isKvConflict(e))).resolves.toBe(true);
      const r2 = await w.put('site.a', enc.encode('two'), r1);
      expect(r2).toBeGreaterThan(r1);
      await expect(codeOf(w.put('site.a', enc.encode('stale'), r1))).resolves.toBe('kv_conflict');
      expect(text(await kv.get('site.a'))).toBe('two');
      // A deleted key keeps a revision (its delete marker): creating it again needs that revision.
      await kv.delete('site.a');
      await expect(codeOf(w.put('site.a', enc.encode('three'), 0))).resolves.toBe('kv_conflict');
      const marker = (await kv.get('site.a'))?.revision ?? -1;
      expect(await w.put('site.a', enc.encode('three'), marker)).toBeGreaterThan(marker);
    } finally {
      w.close();
    }
  });

  it('matches every answer to its write under concurrency', async () => {
    const w = kvCasWriter(nats.nc, 'CAS_TEST');
    try {
      const keys = Array.from({ length: 2_000 }, (_, i) => `site.k${i}`);
      const revisions = await Promise.all(keys.map((k) => w.put(k, enc.encode(k), 0)));
      expect(new Set(revisions).size).toBe(keys.length);
      for (const i of [0, 1, 999, 1_999]) {
        const e = await kv.get(keys[i] as string);
        expect([e?.revision, text(e)]).toEqual([revisions[i], keys[i]]);
      }
    } finally {
      w.close();
    }
  });

  it('fails with a typed error on an invalid key, a missing bucket, silence, and after close', async () => {
    const w = kvCasWriter(nats.nc, 'CAS_TEST');
    await expect(codeOf(w.put('site.*', enc.encode('x'), 0))).resolves.toBe('kv_invalid_key');
    await expect(codeOf(w.put('a b', enc.encode('x'), 0))).resolves.toBe('kv_invalid_key');
    // No stream listens on the bucket's subjects: the server answers "no responders".
    const missing = kvCasWriter(nats.nc, 'NO_SUCH_BUCKET');
    await expect(codeOf(missing.put('k', enc.encode('x'), 0))).resolves.toBe('kv_unavailable');
    missing.close();
    // Someone listens but never answers: the write times out instead of waiting forever.
    const silent = nats.nc.subscribe('$KV.SILENT.>');
    const slow = kvCasWriter(nats.nc, 'SILENT', { timeoutMs: 200 });
    await expect(codeOf(slow.put('k', enc.encode('x'), 0))).resolves.toBe('kv_timeout');
    slow.close();
    silent.unsubscribe();
    // Closing fails what is still waiting and everything after.
    const blocked = nats.nc.subscribe('$KV.BLOCKED.>');
    const closing = kvCasWriter(nats.nc, 'BLOCKED');
    const waiting = codeOf(closing.put('k', enc.encode('x'), 0));
    closing.close();
    await expect(waiting).resolves.toBe('kv_unavailable');
    await expect(codeOf(closing.put('k', enc.encode('x'), 0))).resolves.toBe('kv_unavailable');
    blocked.unsubscribe();
    w.close();
  });
});
