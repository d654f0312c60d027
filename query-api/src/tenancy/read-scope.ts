import type { ReadKeyRecord, SiteRecord } from '@pulse/protocol';

/**
 * What a read key may read: `'merchant'` (every site of its merchant, the meaning of a record
 * without `site_ids`), or the set of site ids it names.
 */
export type ReadScope = 'merchant' | ReadonlySet<string>;

/**
 * Only an absent `site_ids` widens a key to the whole merchant. Anything else that is not a list
 * of strings (a record written by hand, `null`) reads nothing: a malformed scope fails closed.
 */
export function readScope(key: ReadKeyRecord): ReadScope {
  const ids: unknown = key.site_ids;
  if (ids === undefined) return 'merchant';
  if (!Array.isArray(ids)) return new Set();
  return new Set(ids.filter((id): id is string => typeof id === 'string'));
}

/** Whether the key may read the site: one of its merchant's, and among its sites when it names some. */
export function keyReadsSite(key: ReadKeyRecord, site: SiteRecord): boolean {
  if (site.merchant_id !== key.merchant_id) return false;
  const scope = readScope(key);
  return scope === 'merchant' || scope.has(site.site_id);
}
