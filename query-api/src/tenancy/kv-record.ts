import type { KvEntry } from 'nats';
import { decodeRecord } from '@pulse/protocol';

/** Whether a KV entry holds a record: a put with a value (deletes, purges and empty puts hold none). */
export function holdsRecord(e: KvEntry | null | undefined): e is KvEntry & { operation: 'PUT' } {
  return !!e && e.operation === 'PUT' && e.length > 0;
}

/** The record a KV entry holds, or null. */
export function recordOf<T>(e: KvEntry | null | undefined): T | null {
  return holdsRecord(e) ? decodeRecord<T>(e.value) : null;
}
