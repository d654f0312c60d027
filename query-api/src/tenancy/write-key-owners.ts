import { createHash } from 'node:crypto';
import type { KV } from 'nats';
import { decodeRecord, encodeRecord } from '@pulse/protocol';
import { holdsRecord } from './kv-record.js';

/** Keys of owner entries in the index bucket: never a site id (no dot) nor the sync point's key. */
export const OWNER_KEY_PREFIX = 'owner.';
/** The whole SHA-256: a key's owner entry must never be another key's. */
export const ownerKey = (key: string): string => `${OWNER_KEY_PREFIX}${createHash('sha256').update(key).digest('hex')}`;

interface Owner {
  site_id: string;
}

/**
 * Which site each indexed write key belongs to, one entry per key next to the index. A delete or
 * purge in PULSE_WRITE_KEYS leaves nothing but the key: the record that named its site is gone
 * (history 1). This is how the index finds the site record to take such a key out of. Keyed by a
 * hash, so the secret does not become a subject name a second time.
 */
export class WriteKeyOwners {
  constructor(private readonly kv: KV) {}

  async set(key: string, siteId: string): Promise<void> {
    await this.kv.put(ownerKey(key), encodeRecord({ site_id: siteId } satisfies Owner));
  }

  /** The key's site, or null when the index never held it (or has dealt with its deletion). */
  async siteOf(key: string): Promise<string | null> {
    const e = await this.kv.get(ownerKey(key));
    if (!holdsRecord(e)) return null;
    try {
      const { site_id } = decodeRecord<Partial<Owner>>(e.value);
      return typeof site_id === 'string' ? site_id : null;
    } catch {
      return null;
    }
  }

  async forget(key: string): Promise<void> {
    await this.kv.delete(ownerKey(key));
  }
}
