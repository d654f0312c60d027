import { describe, expect, it } from 'vitest';
import { sessionKeyStore } from './session.js';
import { INVALID_SHARED_LINK, addressWithoutKey, parseSharedLink, takeSharedLink, type SharedLinkWindow } from './shared-link.js';

const KEY = `rk_${'aB3'.repeat(10)}xy`;
const SITE = 's_0123456789abcdef';

/** sessionStorage's interface over a Map (the unit tests run in Node). */
function memoryStorage(): Storage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => void items.delete(k),
    setItem: (k, v) => void items.set(k, String(v)),
  };
}

function fakeWindow(href: string): SharedLinkWindow & { replaced: string[] } {
  const url = new URL(href);
  const replaced: string[] = [];
  return {
    replaced,
    location: { pathname: url.pathname, search: url.search, hash: url.hash },
    history: { replaceState: (_data, _unused, next) => void replaced.push(next) },
  };
}

describe('parseSharedLink', () => {
  it('reads the key and the site of #key=…&site=…, in either order, with or without #', () => {
    expect(KEY).toHaveLength(35);
    expect(parseSharedLink(`#key=${KEY}&site=${SITE}`)).toEqual({ kind: 'link', key: KEY, site: SITE });
    expect(parseSharedLink(`site=${SITE}&key=${KEY}`)).toEqual({ kind: 'link', key: KEY, site: SITE });
    expect(parseSharedLink(`#key=${KEY}`)).toEqual({ kind: 'link', key: KEY, site: null });
    // A site that is no site id is ignored, not the link.
    expect(parseSharedLink(`#key=${KEY}&site=${encodeURIComponent('<script>')}`)).toEqual({ kind: 'link', key: KEY, site: null });
  });

  it('is no shared link without a key: an empty fragment, the skip link', () => {
    for (const hash of ['', '#', '#main', `#site=${SITE}`]) expect([hash, parseSharedLink(hash)]).toEqual([hash, { kind: 'none' }]);
  });

  it('is invalid with a key that is no read key (cut short when copied, empty, another kind)', () => {
    for (const key of [KEY.slice(0, 20), '', `wk_${'a'.repeat(32)}`, `${KEY}x`]) {
      expect([key, parseSharedLink(`#key=${key}&site=${SITE}`)]).toEqual([key, { kind: 'invalid', message: INVALID_SHARED_LINK }]);
    }
  });
});

describe('addressWithoutKey', () => {
  it('keeps the page and its view, drops the fragment, and puts the site in the query string', () => {
    expect(addressWithoutKey({ pathname: '/', search: '' }, SITE)).toBe(`/?site=${SITE}`);
    expect(addressWithoutKey({ pathname: '/dash/', search: '?range=30d&site=s_other' }, SITE)).toBe(`/dash/?range=30d&site=${SITE}`);
    expect(addressWithoutKey({ pathname: '/', search: '?range=30d' }, null)).toBe('/?range=30d');
    expect(addressWithoutKey({ pathname: '/', search: '' }, null)).toBe('/');
  });
});

describe('takeSharedLink', () => {
  it('moves the key to sessionStorage, marked shared, and out of the address bar', () => {
    const storage = memoryStorage();
    const keys = sessionKeyStore(storage);
    const w = fakeWindow(`https://dash.example/?range=30d#key=${KEY}&site=${SITE}`);
    expect(takeSharedLink(keys, w)).toEqual({ kind: 'link', key: KEY, site: SITE });
    expect(w.replaced).toEqual([`/?range=30d&site=${SITE}`]);
    expect(w.replaced.join()).not.toContain(KEY);
    expect([keys.get(), keys.shared()]).toEqual([KEY, true]);
    expect(Object.fromEntries(storage.items)).toEqual({ 'pulse.read_key': KEY, 'pulse.shared_view': '1' });
  });

  it('replaces a key signed in before; signing in with the form afterwards ends the shared view', () => {
    const keys = sessionKeyStore(memoryStorage());
    keys.set(`rk_${'Z'.repeat(32)}`);
    expect(keys.shared()).toBe(false);
    takeSharedLink(keys, fakeWindow(`https://dash.example/#key=${KEY}`));
    expect([keys.get(), keys.shared()]).toEqual([KEY, true]);
    keys.set(`rk_${'Y'.repeat(32)}`);
    expect(keys.shared()).toBe(false);
    keys.set(KEY, { shared: true });
    keys.clear();
    expect([keys.get(), keys.shared()]).toEqual([null, false]);
  });

  it('drops an invalid link from the address too, keeping no key', () => {
    const keys = sessionKeyStore(memoryStorage());
    const w = fakeWindow(`https://dash.example/?range=30d#key=${KEY.slice(0, 20)}&site=${SITE}`);
    expect(takeSharedLink(keys, w)).toEqual({ kind: 'invalid', message: INVALID_SHARED_LINK });
    expect(w.replaced).toEqual(['/?range=30d']);
    expect(keys.get()).toBeNull();
  });

  it('leaves an address without a shared link alone', () => {
    const keys = sessionKeyStore(memoryStorage());
    const w = fakeWindow('https://dash.example/?site=s_x#main');
    expect(takeSharedLink(keys, w)).toEqual({ kind: 'none' });
    expect(w.replaced).toEqual([]);
  });
});
