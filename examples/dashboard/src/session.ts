/**
 * The read key lives in sessionStorage: it survives reloads of the tab but not closing it, and it never
 * goes into the URL, so shared links do not leak it.
 */
export const READ_KEY_STORAGE_KEY = 'pulse.read_key';

export interface KeyStore {
  get(): string | null;
  set(key: string): void;
  clear(): void;
}

export function sessionKeyStore(storage: Storage = sessionStorage): KeyStore {
  return {
    get: () => {
      try {
        return storage.getItem(READ_KEY_STORAGE_KEY);
      } catch {
        return null;
      }
    },
    set: (key) => storage.setItem(READ_KEY_STORAGE_KEY, key),
    clear: () => storage.removeItem(READ_KEY_STORAGE_KEY),
  };
}

/** Read keys are `rk_` + 32 base62 characters; anything else is refused before a request is made. */
export function readKeyError(key: string): string | null {
  const k = key.trim();
  if (!k) return 'Enter your read key.';
  if (!/^rk_[A-Za-z0-9]{32}$/.test(k)) return 'A read key looks like rk_ followed by 32 letters and digits.';
  return null;
}
