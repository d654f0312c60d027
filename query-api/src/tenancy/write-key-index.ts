import { KV_WRITE_KEYS, type WriteKeyRecord } from '@pulse/protocol';
import { TooManyWriteKeysError } from '../errors.js';
import { keyPrefix, type KeyIndexConfig, type ListedKey } from './key-index.js';

/** The {@link KeyIndex} of each site's write keys: key `<site_id>`. */
export const KV_SITE_WRITE_KEYS = 'PULSE_SITE_WRITE_KEYS';
/**
 * How far the index has read `PULSE_WRITE_KEYS`. `.v2` since keys also have owner entries: a point
 * saved before them (`sync.write_keys`) is not used, so the first start after the upgrade reads the
 * bucket once more and gives every stored key its owner entry.
 */
export const SYNC_KEY = 'sync.write_keys.v2';
export const MAX_WRITE_KEYS_PER_SITE = 2_000;
export const WRITE_KEY_ID_PREFIX = 'wkid_';

export const WRITE_KEY_INDEX: KeyIndexConfig = {
  kind: 'write key',
  sourceBucket: KV_WRITE_KEYS,
  groupField: 'site_id',
  syncKey: SYNC_KEY,
  idPrefix: WRITE_KEY_ID_PREFIX,
  maxPerGroup: MAX_WRITE_KEYS_PER_SITE,
  tooMany: (siteId, max) => new TooManyWriteKeysError(siteId, max),
};

/** One key of a site as the admin API lists it: revoked ones too, so a rotation can be checked. */
export interface WriteKeyInfo {
  key_id: string;
  key_prefix: string;
  created_at: number;
  revoked: boolean;
  revoked_at: number | null;
}

export function writeKeyInfo(k: ListedKey<WriteKeyRecord>): WriteKeyInfo {
  return { key_id: k.key_id, key_prefix: keyPrefix(k.key), created_at: k.created_at, revoked: k.revoked_at !== null, revoked_at: k.revoked_at };
}
