/**
 * The read key lives in sessionStorage: it survives reloads of the tab but not closing it, and it never
 * stays in the URL, so links to a view do not leak it. A shared link (`#key=…&site=…`,
 * shared-link.ts) brings one in its fragment, which is moved here and out of the address bar.
 */
export const READ_KEY_STORAGE_KEY = 'pulse.read_key';
/** Set while the stored key came from a shared link: the dashboard then says "Shared view". */
export const SHARED_VIEW_STORAGE_KEY = 'pulse.shared_view';

export interface KeyStore {
  get(): string | null;
  /** Keeps the key; `shared` when it came from a shared link rather than the sign-in form. */
  set(key: string, opts?: { shared?: boolean }): void;
  /** Whether the key kept came from a shared link. */
  shared(): boolean;
  clear(): void;
}

export function sessionKeyStore(storage: Storage = sessionStorage): KeyStore {
  const read = (name: string): string | null => {
    try {
      return storage.getItem(name);
    } catch {
      return null;
    }
  };
  return {
    get: () => read(READ_KEY_STORAGE_KEY),
    set: (key, opts) => {
      storage.setItem(READ_KEY_STORAGE_KEY, key);
      if (opts?.shared) storage.setItem(SHARED_VIEW_STORAGE_KEY, '1');
      else storage.removeItem(SHARED_VIEW_STORAGE_KEY);
    },
    shared: () => read(SHARED_VIEW_STORAGE_KEY) === '1' && read(READ_KEY_STORAGE_KEY) !== null,
    clear: () => {
      storage.removeItem(READ_KEY_STORAGE_KEY);
      storage.removeItem(SHARED_VIEW_STORAGE_KEY);
    },
  };
}

/** Read keys are `rk_` + 32 base62 characters; anything else is refused before a request is made. */
export function readKeyError(key: string): string | null {
  const k = key.trim();
  if (!k) return 'Enter your read key.';
  if (!/^rk_[A-Za-z0-9]{32}$/.test(k)) return 'A read key looks like rk_ followed by 32 letters and digits.';
  return null;
}
