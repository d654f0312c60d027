import { createHash } from 'node:crypto';
import type { KV } from 'nats';

/** Server-side visits end after this much inactivity. */
export const SESSION_GAP_MS = 30 * 60 * 1000;
/** NATS KV bucket holding each active visitor's current visit; entries expire on their own. */
export const KV_SESSIONS = 'PULSE_SESSIONS';
export const SESSION_STATE_TTL_MS = 2 * 60 * 60 * 1000;

/** The visit a visitor is in: its id and the time span of its events so far. */
export interface VisitState {
  id: string;
  start: number;
  last: number;
}

export function sessionId(siteId: string, visitorId: string, startMs: number): string {
  const h = createHash('sha256').update(`${siteId}\u0000${visitorId}\u0000${startMs}`).digest('hex');
  return `ss_${h.slice(0, 24)}`;
}

export function sessionKey(siteId: string, visitorId: string): string {
  return `${siteId}.${createHash('sha256').update(visitorId).digest('hex').slice(0, 32)}`;
}

/**
 * Assigns visits to one visitor's events (sorted by time) given the stored visit, with the
 * 30-minute rule: an event within GAP of the current visit's span joins it (and widens it); a
 * later one starts a new visit; a much older straggler gets a visit of its own that is not
 * stored (the current visit stays current). Pure: returns ids in input order and the new state.
 */
export function assignVisits(
  siteId: string,
  visitorId: string,
  times: readonly number[],
  stored: VisitState | undefined,
): { ids: string[]; state: VisitState | undefined } {
  let state = stored ? { ...stored } : undefined;
  let straggler: VisitState | undefined;
  const ids: string[] = [];
  for (const ts of times) {
    if (state && ts >= state.start - SESSION_GAP_MS && ts <= state.last + SESSION_GAP_MS) {
      state.start = Math.min(state.start, ts);
      state.last = Math.max(state.last, ts);
      ids.push(state.id);
    } else if (!state || ts > state.last) {
      state = { id: sessionId(siteId, visitorId, ts), start: ts, last: ts };
      ids.push(state.id);
    } else {
      if (!straggler || ts > straggler.last + SESSION_GAP_MS) {
        straggler = { id: sessionId(siteId, visitorId, ts), start: ts, last: ts };
      }
      straggler.last = Math.max(straggler.last, ts);
      ids.push(straggler.id);
    }
  }
  return { ids, state };
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

export function kvSessionStore(kv: KV): SessionStore {
  return {
    async assign(siteId, visitorId, times) {
      const key = sessionKey(siteId, visitorId);
      for (let attempt = 0; ; attempt++) {
        const entry = await kv.get(key);
        const stored = entry && entry.operation === 'PUT' ? (JSON.parse(dec.decode(entry.value)) as VisitState) : undefined;
        const { ids, state } = assignVisits(siteId, visitorId, times, stored);
        if (!state || (stored && state.start === stored.start && state.last === stored.last && state.id === stored.id)) {
          return ids;
        }
        const value = enc.encode(JSON.stringify(state));
        try {
          // A deleted/expired key still has a revision to compare against.
          if (entry) await kv.update(key, value, entry.revision);
          else await kv.create(key, value);
          return ids;
        } catch (err) {
          // Another aggregator moved the visit on: read it again and redo. Anything else is real.
          if (attempt >= 10 || !isConflict(err)) throw err;
        }
      }
    },
  };
}

function isConflict(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /wrong last sequence|key exists|10071/i.test(msg);
}
