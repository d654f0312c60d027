import { KV_READ_KEYS, type ReadKeyRecord } from '@pulse/protocol';
import { TooManyReadKeysError } from '../errors.js';
import { keyPrefix, type KeyIndexConfig, type ListedKey } from './key-index.js';
import { readScope } from './read-scope.js';

/** The {@link KeyIndex} of each merchant's read keys: key `<merchant_id>`. */
export const KV_MERCHANT_READ_KEYS = 'PULSE_MERCHANT_READ_KEYS';
/** How far the index has read `PULSE_READ_KEYS`; owner entries existed from the start, so no `.v2` here. */
export const READ_KEY_SYNC_KEY = 'sync.read_keys';
export const MAX_READ_KEYS_PER_MERCHANT = 2_000;
export const READ_KEY_ID_PREFIX = 'rkid_';

export const READ_KEY_INDEX: KeyIndexConfig = {
  kind: 'read key',
  sourceBucket: KV_READ_KEYS,
  groupField: 'merchant_id',
  syncKey: READ_KEY_SYNC_KEY,
  idPrefix: READ_KEY_ID_PREFIX,
  maxPerGroup: MAX_READ_KEYS_PER_MERCHANT,
  tooMany: (merchantId, max) => new TooManyReadKeysError(merchantId, max),
};

/** One working read key of a merchant as the admin API lists it. */
export interface ReadKeyInfo {
  key_id: string;
  key_prefix: string;
  created_at: number;
  site_ids?: string[];
  label?: string;
}

/**
 * The keys that work, oldest first: a revoked read key has nothing left to rotate or check, unlike a
 * write key still deployed on a site. `site_ids` as the key reads them (a malformed scope, which
 * reads nothing, shows as `[]`, never as absent, which would mean every site).
 */
export function readKeyInfos(listed: ListedKey<ReadKeyRecord>[]): ReadKeyInfo[] {
  return listed.flatMap((k) => {
    if (k.revoked_at !== null || !k.record) return [];
    const scope = readScope(k.record);
    const label: unknown = k.record.label;
    return [
      {
        key_id: k.key_id,
        key_prefix: keyPrefix(k.key),
        created_at: k.created_at,
        ...(scope === 'merchant' ? {} : { site_ids: [...scope] }),
        ...(typeof label === 'string' ? { label } : {}),
      },
    ];
  });
}
