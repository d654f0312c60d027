import { createHash } from 'node:crypto';
import type { KV } from 'nats';
import { decodeRecord, encodeRecord } from '@pulse/protocol';
import { holdsRecord } from './kv-record.js';

/** Keys of owner entries in an index bucket: never a group id (no dot) nor a sync point's key. */
export const OWNER_KEY_PREFIX = 'owner.';
/** The whole SHA-256: a key's owner entry must never be another key's. */
export const ownerKey = (key: string): string => `${OWNER_KEY_PREFIX}${createHash('sha256').update(key).digest('hex')}`;

/**
 * Which group (site, merchant) each indexed key belongs to, one entry per key next to the index. A
 * delete or purge in the keys' own bucket leaves nothing but the key: the record that named its
 * group is gone (history 1). This is how the index finds the group record to take such a key out
 * of. Keyed by a hash, so the secret does not become a subject name a second time.
 */
export class KeyOwners {
  /** `field`: the owner record's one field, named as in the keys' own records (`site_id`): the shape write keys' entries have always had. */
  constructor(
    private readonly kv: KV,
    private readonly field: string,
  ) {}

  async set(key: string, group: string): Promise<void> {
    await this.kv.put(ownerKey(key), encodeRecord({ [this.field]: group }));
  }

  /** The key's group, or null when the index never held it (or has dealt with its deletion). */
  async groupOf(key: string): Promise<string | null> {
    const e = await this.kv.get(ownerKey(key));
    if (!holdsRecord(e)) return null;
    try {
      const group = decodeRecord<Record<string, unknown>>(e.value)[this.field];
      return typeof group === 'string' ? group : null;
    } catch {
      return null;
    }
  }

  async forget(key: string): Promise<void> {
    await this.kv.delete(ownerKey(key));
  }
}
