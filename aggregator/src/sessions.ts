// One-shot hash(): a third of createHash()'s cost per call, and it runs for every visitor of every batch.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KV } from 'nats';
import { isKvConflict } from './kv-conflict.js';
import type { KvCasWriter } from './kv-cas.js';

/** Server-side visits end after this much inactivity. */
export const SESSION_GAP_MS = 30 * 60 * 1000;
/** NATS KV bucket holding each active visitor's current visit; entries expire on their own. */
export const KV_SESSIONS = 'PULSE_SESSIONS';
export const SESSION_STATE_TTL_MS = 2 * 60 * 60 * 1000;

/** One visit: its id and the time span of its events so far. */
export interface VisitSpan {
  id: string;
  start: number;
  last: number;
}

/** The visit a visitor is in, plus the visitor's earlier visits (most recent last-event first). */
export interface VisitState extends VisitSpan {
  prev?: VisitSpan[];
}

/** Earlier visits kept in the state, so late events of them still find them. */
export const MAX_PREVIOUS_VISITS = 8;

const within = (v: VisitSpan, ts: number): boolean => ts >= v.start - SESSION_GAP_MS && ts <= v.last + SESSION_GAP_MS;

function widen(v: VisitSpan, ts: number): string {
  v.start = Math.min(v.start, ts);
  v.last = Math.max(v.last, ts);
  return v.id;
}

export function sessionId(siteId: string, visitorId: string, startMs: number): string {
  const h = hash('sha256', `${siteId}\u0000${visitorId}\u0000${startMs}`, 'hex');
  return `ss_${h.slice(0, 24)}`;
}

export function sessionKey(siteId: string, visitorId: string): string {
  return `${siteId}.${hash('sha256', visitorId, 'hex').slice(0, 32)}`;
}

/**
 * Assigns visits to one visitor's events (sorted by time) given the stored state, with the
 * 30-minute rule: an event within GAP of the current visit's span joins it (and widens it); a
 * later one starts a new visit (the old one moves to `prev`); an earlier one joins the earlier
 * visit it falls in, or starts an earlier visit of its own (kept in `prev`). Because earlier
 * visits are remembered, events of one visit that reach the aggregators out of order (another
 * aggregator already opened the next visit) still land in the same visit. Pure: returns ids in
 * input order and the new state.
 */
export function assignVisits(
  siteId: string,
  visitorId: string,
  times: readonly number[],
  stored: VisitState | undefined,
): { ids: string[]; state: VisitState | undefined } {
  let cur: VisitSpan | undefined = stored ? { id: stored.id, start: stored.start, last: stored.last } : undefined;
  const prev: VisitSpan[] = (stored?.prev ?? []).map((v) => ({ id: v.id, start: v.start, last: v.last }));
  const ids: string[] = [];
  for (const ts of times) {
    if (cur && within(cur, ts)) {
      ids.push(widen(cur, ts));
    } else if (!cur || ts > cur.last) {
      if (cur) prev.push(cur);
      cur = { id: sessionId(siteId, visitorId, ts), start: ts, last: ts };
      ids.push(cur.id);
    } else {
      let earlier = prev.find((v) => within(v, ts));
      if (!earlier) {
        earlier = { id: sessionId(siteId, visitorId, ts), start: ts, last: ts };
        prev.push(earlier);
      }
      ids.push(widen(earlier, ts));
    }
  }
  if (!cur) return { ids, state: undefined };
  prev.sort((a, b) => b.last - a.last);
  const kept = prev.slice(0, MAX_PREVIOUS_VISITS);
  return { ids, state: kept.length > 0 ? { ...cur, prev: kept } : cur };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SessionStore {
  /**
   * Runs `assign` for one visitor against the shared state and stores its result with a
   * compare-and-set, re-running on conflict, so concurrent aggregators agree on one visit.
   */
  assign(siteId: string, visitorId: string, times: readonly number[]): Promise<string[]>;
}

/** Visitors whose visit state (and its KV revision) one aggregator remembers between batches. */
export const DEFAULT_SESSION_CACHE_SIZE = 200_000;

/** What this process last wrote or read for a visitor: the state and its KV revision (0: no key). */
interface Known {
  stored: VisitState | undefined;
  revision: number;
}

const ABSENT: Known = { stored: undefined, revision: 0 };

/** Compare-and-set rounds for one visitor before the batch fails (and is retried as a whole). */
const MAX_CAS_ATTEMPTS = 10;

/**
 * The shared visit state in NATS KV, written only by compare-and-set. An LRU remembers the state
 * and revision this process last saw, so the common case is one CAS per visitor per batch and no
 * read: the CAS succeeds only if nobody wrote the key since, which proves the remembered state was
 * current; a conflict (another aggregator moved the visit on, or the entry expired) re-reads and
 * re-runs. A visitor not remembered is first assumed new (create), which is what most unknown
 * visitors are. Writes go through `cas` (a writer on the same bucket), reads through `kv`.
 */
export function kvSessionStore(kv: KV, cas: KvCasWriter, opts: { cacheSize?: number } = {}): SessionStore {
  const cache = new LRUCache<string, Known>({ max: opts.cacheSize ?? DEFAULT_SESSION_CACHE_SIZE });
  return {
    async assign(siteId, visitorId, times) {
      const key = sessionKey(siteId, visitorId);
      let known = cache.get(key) ?? ABSENT;
      for (let attempt = 0; ; attempt++) {
        const { ids, state } = assignVisits(siteId, visitorId, times, known.stored);
        if (!state) return ids;
        try {
          // An unchanged state is written too: the CAS is what proves the remembered state current.
          // previousSeq 0 = only if the key has no value (a deleted/expired key has a revision).
          const revision = await cas.put(key, enc.encode(JSON.stringify(state)), known.revision);
          cache.set(key, { stored: state, revision });
          return ids;
        } catch (err) {
          cache.delete(key);
          // Another aggregator moved the visit on: read it again and redo. Anything else is real.
          if (attempt >= MAX_CAS_ATTEMPTS || !isKvConflict(err)) throw err;
          // Losing again and again means writers keep racing on this visitor: spread them out.
          if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 2 ** attempt)));
          const entry = await kv.get(key);
          known = !entry
            ? ABSENT
            : { stored: entry.operation === 'PUT' ? (JSON.parse(dec.decode(entry.value)) as VisitState) : undefined, revision: entry.revision };
        }
      }
    },
  };
}
