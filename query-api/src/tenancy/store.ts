import type { KV, KvEntry, NatsConnection } from 'nats';
import {
  KV_MERCHANTS,
  KV_MERCHANT_SITES,
  KV_READ_KEYS,
  KV_SITES,
  KV_WRITE_KEYS,
  decodeRecord,
  encodeRecord,
  type MerchantRecord,
  type ReadKeyRecord,
  type SiteRecord,
  type SiteSettings,
  type WriteKeyRecord,
  within,
} from '@pulse/protocol';
import { openBucket } from '@pulse/protocol/streams';
import { MERCHANT_ID, SITE_ID, newMerchantId, newReadKey, newSiteId, newWriteKey, READ_KEY, WRITE_KEY } from '../ids.js';
import { KeyStoreUnavailableError, NotFoundError, UnknownReferenceError, isNatsUnavailable } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { BucketWatch } from './bucket-watch.js';
import type { CatchUpResult } from './catch-up.js';
import { KeyStoreHealth } from './key-store-health.js';
import { DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS, DEFAULT_TENANCY_STALE_MAX_MS, LookupCache, type Lookup } from './lookup-cache.js';
import { SiteListings, merchantSites, type SiteListing } from './site-listing.js';
import { KeyIndex } from './key-index.js';
import { KV_MERCHANT_READ_KEYS, READ_KEY_INDEX, readKeyInfos, type ReadKeyInfo } from './read-key-index.js';
import { KV_SITE_WRITE_KEYS, WRITE_KEY_INDEX, writeKeyInfo, type WriteKeyInfo } from './write-key-index.js';
import { recordOf } from './kv-record.js';
import { readScope } from './read-scope.js';

/**
 * Index of a merchant's sites: key `<merchant_id>.<site_id>`, so listing one merchant's sites is a
 * key-filtered scan of that merchant's subjects, never a walk over every site.
 */

export interface TenancyOptions {
  /** Replicas of buckets this service creates (3 in a NATS cluster). */
  replicas: number;
  /** How long a read-key or site lookup is trusted; bounds how late a revocation takes effect. */
  cacheTtlMs: number;
  /** While NATS is out of reach, keys and sites confirmed within this are answered from their last record (0: never). */
  staleMaxMs?: number;
  /** How long a lookup with such a record to fall back on waits for NATS. */
  lookupTimeoutMs?: number;
  logger?: Logger;
}

/** What a new read key may read (`site_ids`, absent: every site of the merchant) and its note. */
export interface ReadKeyScope {
  site_ids?: string[];
  label?: string;
}

export interface SitePatch {
  domain?: string;
  timezone?: string;
  settings?: Partial<SiteSettings>;
}

/** Tenancy registry in NATS KV; the query API is its only writer. */
export class TenancyStore {
  private readonly readKeyLookups: LookupCache<ReadKeyRecord>;
  private readonly siteLookups: LookupCache<SiteRecord>;
  private readonly siteListings: SiteListings;
  private readonly watches: BucketWatch[];
  private readonly siteKeys: KeyIndex<WriteKeyRecord>;
  private readonly merchantKeys: KeyIndex<ReadKeyRecord>;
  private readonly health: KeyStoreHealth;

  private constructor(
    private readonly merchants: KV,
    private readonly sites: KV,
    private readonly writeKeys: KV,
    private readonly readKeys: KV,
    private readonly merchantSites: KV,
    siteWriteKeys: KV,
    merchantReadKeys: KV,
    nc: NatsConnection,
    opts: TenancyOptions,
  ) {
    const log = opts.logger ?? silentLogger;
    const staleMaxMs = opts.staleMaxMs ?? DEFAULT_TENANCY_STALE_MAX_MS;
    const lookupTimeoutMs = opts.lookupTimeoutMs ?? DEFAULT_TENANCY_LOOKUP_TIMEOUT_MS;
    this.siteKeys = new KeyIndex(WRITE_KEY_INDEX, { index: siteWriteKeys, source: writeKeys, log });
    this.merchantKeys = new KeyIndex(READ_KEY_INDEX, { index: merchantReadKeys, source: readKeys, log });
    const health = new KeyStoreHealth({ log, staleMaxMs });
    this.health = health;
    const lookups = { ttlMs: opts.cacheTtlMs, staleMaxMs, lookupTimeoutMs, health };
    this.readKeyLookups = new LookupCache({ ...lookups, kv: readKeys, decode: (e) => decodeRecord<ReadKeyRecord>(e.value) });
    this.siteLookups = new LookupCache({ ...lookups, kv: sites, decode: (e) => decodeRecord<SiteRecord>(e.value) });
    this.siteListings = new SiteListings({
      ...lookups,
      listIds: (merchantId, max) => this.siteIds(merchantId, max),
      lookupSite: (siteId) => this.lookupSite(siteId),
    });
    const watch = (kv: KV, bucket: string, onChange: (e: KvEntry) => void) => new BucketWatch({ kv, bucket, onChange, log, closed: () => nc.isClosed() });
    // A key deleted or purged by anyone (`nats kv del`, not only revokeKey) stops counting as live in its index.
    this.watches = [
      watch(readKeys, KV_READ_KEYS, (e) => {
        this.readKeyLookups.applyChange(e);
        this.merchantKeys.changed(e);
      }),
      watch(sites, KV_SITES, (e) => this.siteLookups.applyChange(e)),
      watch(writeKeys, KV_WRITE_KEYS, (e) => this.siteKeys.changed(e)),
    ];
  }

  static async open(nc: NatsConnection, opts: TenancyOptions): Promise<TenancyStore> {
    const open = (name: string) => openKv(nc, name, opts.replicas);
    const [m, s, w, r, ms, sw, mr] = await Promise.all([
      open(KV_MERCHANTS),
      open(KV_SITES),
      open(KV_WRITE_KEYS),
      open(KV_READ_KEYS),
      open(KV_MERCHANT_SITES),
      open(KV_SITE_WRITE_KEYS),
      open(KV_MERCHANT_READ_KEYS),
    ]);
    const store = new TenancyStore(m, s, w, r, ms, sw, mr, nc, opts);
    // Watched from before the first lookup, so no revocation can fall between a read and the watch.
    try {
      await Promise.all(store.watches.map((w) => w.start()));
    } catch (err) {
      // The watches that did start must not follow the buckets for a store nobody holds.
      store.close();
      throw err;
    }
    return store;
  }

  /** Stops following the buckets (the connection stays the caller's). */
  close(): void {
    for (const w of this.watches) w.stop();
  }

  async createMerchant(name: string): Promise<MerchantRecord> {
    const rec: MerchantRecord = { merchant_id: newMerchantId(), name, created_at: Date.now() };
    await this.merchants.create(rec.merchant_id, encodeRecord(rec));
    return rec;
  }

  async getMerchant(merchantId: string): Promise<MerchantRecord | null> {
    if (!MERCHANT_ID.test(merchantId)) return null;
    return getRecord<MerchantRecord>(this.merchants, merchantId);
  }

  async createSite(input: { merchant_id: string; domain: string; timezone: string }): Promise<{ site: SiteRecord; write_key: string }> {
    if (!(await this.getMerchant(input.merchant_id))) throw new NotFoundError('merchant');
    const now = Date.now();
    const site: SiteRecord = {
      site_id: newSiteId(),
      merchant_id: input.merchant_id,
      domain: input.domain,
      timezone: input.timezone,
      settings: { excluded_paths: [] },
      created_at: now,
    };
    // Site and index first: a write key never points at a site that does not exist.
    const revision = await this.sites.create(site.site_id, encodeRecord(site));
    await this.merchantSites.put(`${site.merchant_id}.${site.site_id}`, encodeRecord({ created_at: now }));
    const writeKey = await this.issueWriteKey(site, now);
    this.siteLookups.remember(site.site_id, site, revision);
    return { site, write_key: writeKey };
  }

  /** A site; `fresh` reads NATS (admin calls, which must not act on a cached record). */
  async getSite(siteId: string, opts: { fresh?: boolean } = {}): Promise<SiteRecord | null> {
    if (!SITE_ID.test(siteId)) return null;
    if (!opts.fresh) return (await this.siteLookups.lookup(siteId)).record;
    const entry = await this.sites.get(siteId);
    const site = recordOf<SiteRecord>(entry);
    this.siteLookups.remember(siteId, site, entry?.revision ?? 0);
    return site;
  }

  /** A site for a reader: from the last known good record when NATS is out of reach (see LookupCache). */
  lookupSite(siteId: string): Promise<Lookup<SiteRecord>> {
    if (!SITE_ID.test(siteId)) return Promise.resolve({ record: null, stale: false });
    return this.siteLookups.lookup(siteId);
  }

  /** Applies a patch (settings merged key by key) with a compare-and-set, so concurrent patches do not clobber. */
  async updateSite(siteId: string, patch: SitePatch): Promise<SiteRecord> {
    if (!SITE_ID.test(siteId)) throw new NotFoundError('site');
    for (let attempt = 0; ; attempt++) {
      const entry = await this.sites.get(siteId);
      if (!entry || entry.operation !== 'PUT') throw new NotFoundError('site');
      const site = decodeRecord<SiteRecord>(entry.value);
      const next: SiteRecord = {
        ...site,
        ...(patch.domain !== undefined ? { domain: patch.domain } : {}),
        ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
        settings: { ...site.settings, ...patch.settings },
      };
      try {
        const revision = await this.sites.update(siteId, encodeRecord(next), entry.revision);
        this.siteLookups.remember(siteId, next, revision);
        return next;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  }

  /** The merchant's sites, oldest first, at most `max`. */
  async listSites(merchantId: string, max: number): Promise<SiteRecord[]> {
    if (!MERCHANT_ID.test(merchantId)) return [];
    const ids = await this.siteIds(merchantId, max);
    return merchantSites(merchantId, await Promise.all(ids.map((id) => this.lookupSite(id)))).sites;
  }

  /** The merchant's sites for a reader: as last listed while NATS is out of reach (see SiteListings). */
  lookupSites(merchantId: string, max: number): Promise<SiteListing> {
    if (!MERCHANT_ID.test(merchantId)) return Promise.resolve({ sites: [], stale: false });
    return this.siteListings.list(merchantId, max);
  }

  /**
   * The sites a read key may read, for a reader (`GET /v1/sites`): the merchant's listing, or, for a
   * key that names its sites, those alone, each looked up (no walk over the merchant's sites).
   */
  async lookupKeySites(key: ReadKeyRecord, max: number): Promise<SiteListing> {
    const scope = readScope(key);
    if (scope === 'merchant') return this.lookupSites(key.merchant_id, max);
    const ids = [...scope].slice(0, max);
    // merchantSites keeps the merchant's own only: a hand-written record naming another's site reads nothing there.
    return merchantSites(key.merchant_id, await Promise.all(ids.map((id) => this.lookupSite(id))));
  }

  private async siteIds(merchantId: string, max: number): Promise<string[]> {
    const ids: string[] = [];
    const keys = await this.merchantSites.keys(`${merchantId}.>`);
    for await (const key of keys) {
      ids.push(key.slice(merchantId.length + 1));
      if (ids.length >= max) {
        keys.stop();
        break;
      }
    }
    return ids;
  }

  /** Another write key for a site (one to rotate to, before the old one is revoked). */
  async createWriteKey(siteId: string): Promise<string> {
    const site = await this.getSite(siteId, { fresh: true });
    if (!site) throw new NotFoundError('site');
    return this.issueWriteKey(site, Date.now());
  }

  /** The site's write keys (revoked ones included), oldest first; `null` when there is no such site. */
  async listWriteKeys(siteId: string): Promise<WriteKeyInfo[] | null> {
    if (!(await this.getSite(siteId, { fresh: true }))) return null;
    return (await this.siteKeys.list(siteId)).map(writeKeyInfo);
  }

  /** Revokes the site's write key named by its `key_id` (from the listing); NotFoundError when it has no such live key. */
  async revokeWriteKeyById(siteId: string, keyId: string): Promise<void> {
    if (!(await this.getSite(siteId, { fresh: true }))) throw new NotFoundError('site');
    await this.revokeIndexedKey(this.siteKeys, siteId, keyId);
  }

  /** Indexes write keys stored by other writers (or before the index existed); see KeyIndex. */
  catchUpWriteKeys(): Promise<CatchUpResult> {
    return this.siteKeys.catchUp();
  }

  /** The merchant's read keys that work, oldest first, without the secrets; `null` when there is no such merchant. */
  async listReadKeys(merchantId: string): Promise<ReadKeyInfo[] | null> {
    if (!(await this.getMerchant(merchantId))) return null;
    return readKeyInfos(await this.merchantKeys.list(merchantId));
  }

  /** Revokes the merchant's read key named by its `key_id`; NotFoundError when it has no such live key. */
  async revokeReadKeyById(merchantId: string, keyId: string): Promise<void> {
    if (!(await this.getMerchant(merchantId))) throw new NotFoundError('merchant');
    await this.revokeIndexedKey(this.merchantKeys, merchantId, keyId);
  }

  /** Indexes read keys stored by other writers (or before the index existed); see KeyIndex. */
  catchUpReadKeys(): Promise<CatchUpResult> {
    return this.merchantKeys.catchUp();
  }

  /** The same revocation as by the key itself, for a key the index names by its id under `group`. */
  private async revokeIndexedKey<R extends object>(index: KeyIndex<R>, group: string, keyId: string): Promise<void> {
    const found = await index.find(group, keyId);
    if (!found || found.revoked) throw new NotFoundError('key');
    await this.revokeKey(found.key);
  }

  private async issueWriteKey(site: SiteRecord, now: number): Promise<string> {
    const key = newWriteKey();
    const rec: WriteKeyRecord = { site_id: site.site_id, merchant_id: site.merchant_id, created_at: now };
    await this.siteKeys.issue(site.site_id, key, now, () => this.writeKeys.create(key, encodeRecord(rec)));
    return key;
  }

  /**
   * A read key of the merchant's, limited to `scope.site_ids` when given: each must be a site of
   * that merchant (UnknownReferenceError naming the first that is not, whether it is missing or
   * another merchant's). Sites are never deleted or moved, so the check cannot go stale.
   */
  async createReadKey(merchantId: string, scope: ReadKeyScope = {}): Promise<{ read_key: string; key_id: string; record: ReadKeyRecord }> {
    if (!(await this.getMerchant(merchantId))) throw new NotFoundError('merchant');
    if (scope.site_ids) {
      const sites = await Promise.all(scope.site_ids.map((id) => this.getSite(id, { fresh: true })));
      const bad = sites.findIndex((s) => s?.merchant_id !== merchantId);
      if (bad >= 0) throw new UnknownReferenceError(`site_ids[${bad}]`, 'no such site of this merchant');
    }
    const key = newReadKey();
    const rec: ReadKeyRecord = {
      merchant_id: merchantId,
      created_at: Date.now(),
      ...(scope.site_ids ? { site_ids: [...scope.site_ids] } : {}),
      ...(scope.label !== undefined ? { label: scope.label } : {}),
    };
    await this.merchantKeys.issue(merchantId, key, rec.created_at, () => this.readKeys.create(key, encodeRecord(rec)));
    return { read_key: key, key_id: this.merchantKeys.idOf(key), record: rec };
  }

  /** Deletes a read or write key; other instances stop accepting it within `cacheTtlMs`. */
  async revokeKey(key: string): Promise<void> {
    const held = READ_KEY.test(key)
      ? { bucket: this.readKeys, index: this.merchantKeys }
      : WRITE_KEY.test(key)
        ? { bucket: this.writeKeys, index: this.siteKeys }
        : null;
    if (!held) throw new NotFoundError('key');
    const entry = await held.bucket.get(key);
    if (!entry || entry.operation !== 'PUT') throw new NotFoundError('key');
    await held.bucket.delete(key);
    if (held.bucket === this.readKeys) this.readKeyLookups.forget(key);
    // The key is dead already, and said so: should this write fail, listings still show it revoked
    // (they ask the key's bucket about every key the index holds as live), with the delete's time.
    await held.index.markRevoked(entry, Date.now()).catch(() => undefined);
  }

  async resolveReadKey(key: string): Promise<ReadKeyRecord | null> {
    return (await this.lookupReadKey(key)).record;
  }

  /** A read key, from its last known good record when NATS is out of reach (see LookupCache). */
  lookupReadKey(key: string): Promise<Lookup<ReadKeyRecord>> {
    if (!READ_KEY.test(key)) return Promise.resolve({ record: null, stale: false });
    return this.readKeyLookups.lookup(key);
  }

  /**
   * A cheap round trip to the KV store, for readiness. What it finds counts as a lookup's would: a
   * failure starts the outage that stale-if-error answers are bounded by (so it is dated from the
   * first probe that found NATS gone, even with no traffic), a success ends it.
   */
  async ping(timeoutMs: number): Promise<void> {
    try {
      await within(this.sites.status(), timeoutMs, () => new KeyStoreUnavailableError());
      this.health.succeeded();
    } catch (err) {
      if (isNatsUnavailable(err)) this.health.failed(err);
      throw err;
    }
  }

  /** Since when (ms epoch) NATS has been out of reach for tenancy, while it is; undefined while it answers. */
  natsUnreachableSince(): number | undefined {
    return this.health.unreachableSince;
  }
}

/** Opens a bucket, creating it if missing; one that exists with another config (say, other replicas) is bound as it is. */
export function openKv(nc: NatsConnection, name: string, replicas: number): Promise<KV> {
  const js = nc.jetstream();
  return openBucket(js, name, { history: 1, replicas }).catch(() => js.views.kv(name, { bindOnly: true }));
}

async function getRecord<T>(kv: KV, key: string): Promise<T | null> {
  return recordOf<T>(await kv.get(key));
}
