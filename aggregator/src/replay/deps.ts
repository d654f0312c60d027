import { randomBytes } from 'node:crypto';
import type { KV } from 'nats';
import { saltDay } from '../enrich/visitor.js';
import { saltKey, type SaltSource } from '../salt.js';
import { assignVisits, type SessionStore, type VisitState } from '../sessions.js';

/**
 * Visits for a replay: the same 30-minute rule (`assignVisits`) over the replay's own state, so
 * reprocessing never moves the live visitors' current visits in `PULSE_SESSIONS`.
 */
export function memorySessionStore(): SessionStore {
  const state = new Map<string, VisitState>();
  return {
    assign(siteId, visitorId, times) {
      const key = `${siteId}\u0000${visitorId}`;
      const out = assignVisits(siteId, visitorId, times, state.get(key));
      if (out.state) state.set(key, out.state);
      return Promise.resolve(out.ids);
    },
  };
}

/**
 * The live days' salts, never created nor pruned by a replay. A day whose salt is gone (older
 * than the stream retention, replayed from the archive) gets a salt of this replay only: its
 * cookieless visitors stay distinct within the day, and still cannot be linked to an IP.
 */
export function replaySaltSource(kv: KV): SaltSource {
  const cache = new Map<string, Promise<string>>();
  const dec = new TextDecoder();
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
