import { PERSIST } from './config.js';

// Web storage can be missing or throw (disabled storage, private modes, quota):
// every access goes through here, and failing storage just means "not stored".
// Storage's named properties are its items, the smallest code there is.

type Area = Record<string, string | undefined>;

/**
 * Reads `key` (no `value`), stores `value`, or removes the item (""), in
 * sessionStorage (this tab's, gone when it closes) or, with `durable`, in
 * localStorage.
 */
export const store: (key: string, value?: string, durable?: unknown) => string | undefined = PULSE_PERSIST
  ? (key, value, durable) => {
      try {
        const area = (durable ? localStorage : sessionStorage) as unknown as Area;
        return value == null ? area[key] : value ? (area[key] = value) : void delete area[key];
      } catch {
        // unavailable or full: the in-memory state still works for this page
      }
    }
  : // Builds without the persist feature are cookieless: all they keep is the
    // outbox, in sessionStorage, and they never remove it. Every byte counts there.
    (key, value) => {
      try {
        return value == null ? (sessionStorage as unknown as Area)[key] : (sessionStorage[key] = value);
      } catch {
        // as above
      }
    };

/** `store` in localStorage: what persistent mode keeps across visits. */
export const local = (key: string, value?: string): string | undefined => store(key, value, 1);

/** localStorage key of the visitor's consent: "1" given, "0" withdrawn. */
export const CONSENT_KEY = 'pulse_c';

/**
 * Whether this visitor's device may keep data beyond the tab: with consent, or
 * with the site's `persist` setting until consent is withdrawn. Always false in
 * builds without the persist feature.
 */
export function persistent(flags: number): boolean {
  let c: string | undefined;
  return PULSE_PERSIST && ((c = local(CONSENT_KEY)) == '1' || (!!(flags & PERSIST) && c != '0'));
}

/**
 * A 128-bit random id (up to 40 digits). getRandomValues works in insecure
 * contexts too, randomUUID does not; decimal digits are the shortest code.
 */
export function newId(): string {
  return crypto.getRandomValues(new Uint32Array(4)).join('');
}
