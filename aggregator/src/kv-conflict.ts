import { KvCasError } from './errors.js';

/** A KV compare-and-set lost: the key's revision moved on (JetStream's "wrong last sequence", 10071). */
export function isKvConflict(err: unknown): boolean {
  if (err instanceof KvCasError) return err.code === 'kv_conflict';
  const msg = err instanceof Error ? err.message : String(err);
  return /wrong last sequence|key exists|10071/i.test(msg);
}
