// localStorage can be missing or throw (disabled storage, private modes, quota):
// every access goes through here, and failing storage just means "not stored".
// Storage's named properties are its items; "" stands for "removed" (readers
// treat it as missing), which keeps this the smallest it can be.

/** Reads `key` (one argument) or stores `value` ("" to forget). */
export function store(key: string, value?: string): string | undefined {
  try {
    return value == null ? (localStorage as unknown as Record<string, string | undefined>)[key] : (localStorage[key] = value);
  } catch {
    // unavailable or full: the in-memory state still works for this page
  }
}

/**
 * A 128-bit random id (up to 40 digits). getRandomValues works in insecure
 * contexts too, randomUUID does not; decimal digits are the shortest code.
 */
export function newId(): string {
  return crypto.getRandomValues(new Uint32Array(4)).join('');
}
