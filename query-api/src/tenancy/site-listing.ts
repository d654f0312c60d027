import { LRUCache } from 'lru-cache';
import { within, type SiteRecord } from '@pulse/protocol';
import { KeyStoreUnavailableError, isNatsUnavailable } from '../errors.js';
import type { KeyStoreHealth } from './key-store-health.js';
import { DEFAULT_TENANCY_CACHE_ENTRIES, type Lookup } from './lookup-cache.js';

/** A merchant's sites (`GET /v1/sites`); `stale` as in Lookup. */
export interface SiteListing {
  sites: SiteRecord[];
  stale: boolean;
}

export interface SiteListingsOptions {
  /** The merchant's site ids, at most `max`, as NATS lists them now. */
  listIds: (merchantId: string, max: number) => Promise<string[]>;
  lookupSite: (siteId: string) => Promise<Lookup<SiteRecord>>;
  health: KeyStoreHealth;
  staleMaxMs: number;
  lookupTimeoutMs: number;
  /** Monotonic ms (tests move it). */
  now?: () => number;
}

/** The merchant's own sites among `found`, oldest first. */
export function merchantSites(merchantId: string, found: Lookup<SiteRecord>[]): SiteListing {
  const sites = found
    .map((l) => l.record)
    .filter((s): s is SiteRecord => s !== null && s.merchant_id === merchantId)
    .sort((a, b) => a.created_at - b.created_at || a.site_id.localeCompare(b.site_id));
  return { sites, stale: found.some((l) => l.stale) };
}

/**
 * Readers' site listings. While NATS is out of reach, the ids listed within `staleMaxMs` answer,
 * each site from its last known good record; without such a listing, 503. Sites are never
 * deleted, so an old listing can miss a new site but never shows one that is gone.
 */
export class SiteListings {
  private readonly lists = new LRUCache<string, { ids: string[]; confirmedAt: number }>({ max: DEFAULT_TENANCY_CACHE_ENTRIES });
  private readonly now: () => number;

  constructor(private readonly o: SiteListingsOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  async list(merchantId: string, max: number): Promise<SiteListing> {
    let known = this.lists.get(merchantId);
    if (known && this.now() - known.confirmedAt > this.o.staleMaxMs) known = undefined;
    if (known && this.o.health.degraded) return this.sitesOf(merchantId, known.ids, true);
    const listing = this.o.listIds(merchantId, max);
    listing.catch(() => undefined);
    try {
      const ids = known ? await within(listing, this.o.lookupTimeoutMs, () => new KeyStoreUnavailableError()) : await listing;
      this.lists.set(merchantId, { ids, confirmedAt: this.now() });
      return await this.sitesOf(merchantId, ids, false);
    } catch (err) {
      if (!known || !isNatsUnavailable(err)) throw err;
      this.o.health.failed(err);
      return this.sitesOf(merchantId, known.ids, true);
    }
  }

  private async sitesOf(merchantId: string, ids: string[], stale: boolean): Promise<SiteListing> {
    const listing = merchantSites(merchantId, await Promise.all(ids.map((id) => this.o.lookupSite(id))));
    return { sites: listing.sites, stale: stale || listing.stale };
  }
}
