import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KV } from 'nats';
import { startConnectedNats, type ConnectedNats } from '@pulse/testkit';
import { kvCasWriter, type KvCasWriter } from '../src/kv-cas.js';
import { KV_SESSIONS, kvSessionStore, sessionId, sessionKey, type SessionStore, type VisitState } from '../src/sessions.js';

let nats: ConnectedNats;
let kv: KV;
let writers: KvCasWriter[];
beforeEach(async () => {
  nats = await startConnectedNats();
  kv = await nats.nc.jetstream().views.kv(KV_SESSIONS, { history: 1 });
  writers = [];
});
afterEach(async () => {
  for (const w of writers) w.close();
  await nats.cleanup();
});

/** One aggregator's store: its own cache and its own writer. */
function store(): SessionStore {
  const w = kvCasWriter(nats.nc, KV_SESSIONS);
  writers.push(w);
  return kvSessionStore(kv, w);
}

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 26, 10);

async function stored(site: string, visitor: string): Promise<VisitState | undefined> {
  const e = await kv.get(sessionKey(site, visitor));
  return e && e.operation === 'PUT' ? (JSON.parse(new TextDecoder().decode(e.value)) as VisitState) : undefined;
}

describe('visit state in PULSE_SESSIONS with a per-process cache', () => {
  it('a cached state another aggregator moved on is detected by the CAS, re-read and re-run', async () => {
    const a = store();
    const b = store();
    const first = sessionId('s', 'v', T0);
    expect(await a.assign('s', 'v', [T0])).toEqual([first]);
    // B (no cache) continues A's visit, then opens a new one after the gap.
    expect(await b.assign('s', 'v', [T0 + 10 * MIN])).toEqual([first]);
    const second = sessionId('s', 'v', T0 + 60 * MIN);
    expect(await b.assign('s', 'v', [T0 + 60 * MIN])).toEqual([second]);
    // A still remembers the first visit ending at T0; the event at +70 min must join B's second
    // visit, not open a third one from A's stale view.
    expect(await a.assign('s', 'v', [T0 + 70 * MIN])).toEqual([second]);
    expect(await stored('s', 'v')).toMatchObject({ id: second, start: T0 + 60 * MIN, last: T0 + 70 * MIN, prev: [{ id: first, start: T0, last: T0 + 10 * MIN }] });
    // And A's cache now holds the current revision: B's next write conflicts once, then agrees.
    expect(await b.assign('s', 'v', [T0 + 80 * MIN])).toEqual([second]);
    expect(await a.assign('s', 'v', [T0 + 75 * MIN])).toEqual([second]);
    expect(await stored('s', 'v')).toMatchObject({ id: second, start: T0 + 60 * MIN, last: T0 + 80 * MIN });
  });

  it('concurrent aggregators on one visitor agree on one visit and a state spanning all events', async () => {
    const stores = [store(), store(), store()];
    const times = Array.from({ length: 30 }, (_, i) => T0 + i * MIN);
    // Each aggregator handles a visitor once per batch; the three race each other.
    const ids = await Promise.all(
      stores.map(async (store, k) => {
        const out: string[] = [];
        for (let i = k; i < times.length; i += stores.length) out.push(...(await store.assign('s', 'w', [times[i] as number])));
        return out;
      }),
    );
    expect(new Set(ids.flat()).size).toBe(1);
    const st = await stored('s', 'w');
    expect(st?.start).toBe(T0);
    expect(st?.last).toBe(T0 + 29 * MIN);
  });

  it('a deleted key (expired or purged) is recreated from scratch even while cached', async () => {
    const a = store();
    expect(await a.assign('s', 'x', [T0])).toEqual([sessionId('s', 'x', T0)]);
    await kv.delete(sessionKey('s', 'x'));
    // Within 30 minutes of the forgotten visit, but the shared state is gone: a new visit.
    const fresh = sessionId('s', 'x', T0 + 20 * MIN);
    expect(await a.assign('s', 'x', [T0 + 20 * MIN])).toEqual([fresh]);
    expect(await stored('s', 'x')).toEqual({ id: fresh, start: T0 + 20 * MIN, last: T0 + 20 * MIN });
    // An unknown visitor whose key exists (written by another process) is read, not overwritten.
    const other = store();
    expect(await other.assign('s', 'x', [T0 + 25 * MIN])).toEqual([fresh]);
  });
});
