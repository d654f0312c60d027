import { randomBytes } from 'node:crypto';
import type { KV } from 'nats';
import { saltDay } from './enrich/visitor.js';

/** KV key of a day's salt in `PULSE_STATE`: `salt.YYYY-MM-DD`, value = 64 hex chars. */
export function saltKey(day: string): string {
  return `salt.${day}`;
}

export interface SaltSource {
  /** The salt of the UTC day that contains `ms`; the same for every aggregator. */
  saltFor(ms: number): Promise<string>;
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/**
 * Deletes salts of days that ended more than `keepMs` ago: once a salt is gone, no cookieless
 * visitor id of that day can be recomputed from an IP and user agent.
 */
export async function pruneSalts(kv: KV, keepMs: number, now = Date.now()): Promise<string[]> {
  const oldest = saltDay(now - keepMs);
  const doomed: string[] = [];
  for await (const key of await kv.keys('salt.*')) {
    const day = key.slice('salt.'.length);
    if (day < oldest) doomed.push(key);
  }
  for (const key of doomed) await kv.purge(key);
  return doomed;
}

/**
 * Daily salts shared through NATS KV: the first aggregator that needs a day's salt creates it
 * with an atomic `create`; everyone else (and any later replay) reads the same value. The one
 * that creates a salt also prunes salts older than `keepMs` (the stream retention: a replay
 * still needs them until then).
 */
export function kvSaltSource(kv: KV, keepMs: number, onPruneError: (err: unknown) => void = () => {}): SaltSource {
  const cache = new Map<string, Promise<string>>();
  async function load(day: string): Promise<string> {
    const key = saltKey(day);
    const existing = await kv.get(key);
    if (existing && existing.operation === 'PUT') return dec.decode(existing.value);
    try {
      await kv.create(key, enc.encode(randomBytes(32).toString('hex')));
      void pruneSalts(kv, keepMs).catch(onPruneError);
    } catch {
      // Another aggregator created it first: fall through and read theirs.
    }
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') throw new Error(`salt ${key} missing after create`);
    return dec.decode(entry.value);
  }
  return {
    saltFor(ms) {
      const day = saltDay(ms);
      let p = cache.get(day);
      if (!p) {
        p = load(day);
        // A failed load must be retried next time, not cached.
        p.catch(() => cache.delete(day));
        cache.set(day, p);
        if (cache.size > 16) cache.delete(cache.keys().next().value as string);
      }
      return p;
    },
  };
}

/**
 * The live days' salts, never created nor pruned: for a replay, and for the archive scrub
 * (archive-scrub.ts). A day whose salt is gone (older than the stream retention) gets a salt of
 * this source only, kept in memory: its cookieless visitors stay distinct within the day, and
 * still cannot be linked to an IP.
 */
export function readOnlySaltSource(kv: KV): SaltSource {
  const cache = new Map<string, Promise<string>>();
  return {
    saltFor(ms) {
      const day = saltDay(ms);
      let p = cache.get(day);
      if (!p) {
        p = kv.get(saltKey(day)).then((e) => (e && e.operation === 'PUT' ? dec.decode(e.value) : randomBytes(32).toString('hex')));
        p.catch(() => cache.delete(day));
        cache.set(day, p);
      }
      return p;
    },
  };
}
