import { describe, expect, it } from 'vitest';
import {
  MAX_SAVED_FUNNELS,
  readSavedFunnels,
  savedFunnelsKey,
  savedMatching,
  withSavedFunnel,
  withoutSavedFunnel,
  writeSavedFunnels,
  type FunnelStorage,
  type SavedFunnel,
} from './funnel-saved.js';
import type { FunnelDefinition } from './funnel-state.js';

/** localStorage as a Map; `full` makes every write throw, as a full or disabled storage does. */
function memoryStorage(full = false): FunnelStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => {
      if (full) throw new DOMException('quota', 'QuotaExceededError');
      data.set(k, v);
    },
    removeItem: (k) => {
      data.delete(k);
    },
  };
}

const SITE = 's_abcdefghij012345';
const SIGNUP: FunnelDefinition = {
  steps: [
    { kind: 'page', value: '/' },
    { kind: 'event', value: 'signup' },
  ],
  scope: 'visit',
  window: { amount: 1, unit: 'days' },
};
const BUYERS: FunnelDefinition = {
  steps: [
    { kind: 'page', value: '/products/*' },
    { kind: 'event', value: 'add_to_cart' },
    { kind: 'event', value: 'purchase' },
  ],
  scope: 'visitor',
  window: { amount: 7, unit: 'days' },
};

function saved(list: readonly SavedFunnel[], name: string, f: FunnelDefinition): SavedFunnel[] {
  const r = withSavedFunnel(list, name, f);
  if (!r.ok) throw new Error(r.message);
  return r.list;
}

describe('saved funnels', () => {
  it('are stored per site and read back as saved, in order', () => {
    const storage = memoryStorage();
    const list = saved(saved([], ' Signup ', SIGNUP), 'Buyers', BUYERS);
    expect(writeSavedFunnels(storage, SITE, list)).toBeNull();
    expect(JSON.parse(storage.data.get(savedFunnelsKey(SITE)) ?? '')).toEqual([
      { name: 'Signup', steps: SIGNUP.steps, scope: 'visit', window: '1d' },
      { name: 'Buyers', steps: BUYERS.steps, scope: 'visitor', window: '7d' },
    ]);
    expect(readSavedFunnels(storage, SITE)).toEqual([
      { name: 'Signup', funnel: SIGNUP },
      { name: 'Buyers', funnel: BUYERS },
    ]);
    expect(readSavedFunnels(storage, 's_otherotherother1')).toEqual([]);
    // The last one deleted: nothing is left behind.
    expect(writeSavedFunnels(storage, SITE, [])).toBeNull();
    expect(storage.data.size).toBe(0);
  });

  it('replace one of the same name, in any case, in its place', () => {
    const list = saved(saved([], 'Signup', SIGNUP), 'Buyers', BUYERS);
    const again = saved(list, 'SIGNUP', BUYERS);
    expect(again.map((s) => s.name)).toEqual(['SIGNUP', 'Buyers']);
    expect(again[0]?.funnel).toEqual(BUYERS);
    expect(withoutSavedFunnel(again, 'Buyers').map((s) => s.name)).toEqual(['SIGNUP']);
    expect(withoutSavedFunnel(again, 'nope')).toEqual(again);
  });

  it('need a name of at most 60 characters, and keep at most 20', () => {
    expect(withSavedFunnel([], '  ', SIGNUP)).toEqual({ ok: false, message: 'Name the funnel to save it.' });
    expect(withSavedFunnel([], 'x'.repeat(61), SIGNUP)).toEqual({ ok: false, message: 'A name has at most 60 characters.' });
    let list: SavedFunnel[] = [];
    for (let i = 0; i < MAX_SAVED_FUNNELS; i++) list = saved(list, `F${i}`, SIGNUP);
    expect(withSavedFunnel(list, 'one more', SIGNUP)).toEqual({ ok: false, message: 'At most 20 funnels are saved per site: delete one first.' });
    // Updating one of them is still fine.
    expect(withSavedFunnel(list, 'F3', BUYERS).ok).toBe(true);
  });

  it('leave out what cannot be read instead of failing', () => {
    const storage = memoryStorage();
    const key = savedFunnelsKey(SITE);
    for (const raw of ['not json', '{"a":1}', 'null', '42']) {
      storage.data.set(key, raw);
      expect(readSavedFunnels(storage, SITE), raw).toEqual([]);
    }
    storage.data.set(
      key,
      JSON.stringify([
        { name: 'Good', steps: SIGNUP.steps, scope: 'visit', window: '1d' },
        { name: 'One step', steps: [{ kind: 'page', value: '/' }], scope: 'visit' },
        { name: 'Bad path', steps: [{ kind: 'page', value: '/' }, { kind: 'page', value: 'x' }] },
        { name: '', steps: SIGNUP.steps },
        { name: 'good', steps: BUYERS.steps, scope: 'visitor', window: '7d' },
        { name: 'Bad window', steps: BUYERS.steps, scope: 'visitor', window: '99d' },
        'garbage',
      ]),
    );
    // A window that cannot be read is the default day; a second "good" is the first one's name.
    expect(readSavedFunnels(storage, SITE)).toEqual([
      { name: 'Good', funnel: SIGNUP },
      { name: 'Bad window', funnel: { ...BUYERS, window: { amount: 1, unit: 'days' } } },
    ]);
    expect(readSavedFunnels(null, SITE)).toEqual([]);
    const throwing: FunnelStorage = { getItem: () => { throw new Error('denied'); }, setItem: () => undefined, removeItem: () => undefined };
    expect(readSavedFunnels(throwing, SITE)).toEqual([]);
  });

  it('say when the browser refuses to store them', () => {
    const message = 'This browser did not let the dashboard store it (storage full or disabled).';
    expect(writeSavedFunnels(memoryStorage(true), SITE, saved([], 'Signup', SIGNUP))).toBe(message);
    expect(writeSavedFunnels(null, SITE, [])).toBe(message);
  });

  it('name the saved funnel a definition matches', () => {
    const list = saved(saved([], 'Signup', SIGNUP), 'Buyers', BUYERS);
    expect(savedMatching(list, { ...BUYERS, window: { amount: 168, unit: 'hours' } })?.name).toBe('Buyers');
    expect(savedMatching(list, { ...BUYERS, scope: 'visit' })).toBeNull();
    expect(savedMatching(list, null)).toBeNull();
  });
});
