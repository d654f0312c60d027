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
