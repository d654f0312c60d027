/** Records kept in the tenancy KV buckets, JSON-encoded. */
export interface MerchantRecord {
  merchant_id: string;
  name: string;
  created_at: number;
}

/**
 * The site's processing rules: the aggregator drops the events they name from then on, and a
 * replay applies them to history. The two later ones are optional: records written before them
 * have neither, which means no such rule.
 */
export interface SiteSettings {
  /** Path patterns (`*` wildcard) whose events the aggregator drops. */
  excluded_paths: string[];
  /** When non-empty, only events on these page hostnames (`*` wildcard, any case) are kept; events without one are kept too. */
  allowed_hostnames?: string[];
  /** ISO 3166-1 alpha-2 codes (upper case) whose events are dropped; events of an unknown country ('') are kept. */
  excluded_countries?: string[];
}

export interface SiteRecord {
  site_id: string;
  merchant_id: string;
  domain: string;
  /** IANA zone name; time buckets are in this zone by default. */
  timezone: string;
  settings: SiteSettings;
  created_at: number;
}

export interface WriteKeyRecord {
  site_id: string;
  merchant_id: string;
  created_at: number;
}

export interface ReadKeyRecord {
  merchant_id: string;
  created_at: number;
  /**
   * The merchant's sites this key may read. Absent: every site of the merchant, now and later (so
   * records written before scoped keys existed keep their meaning).
   */
  site_ids?: string[];
  /** The operator's note of whom the key was given to ("Acme agency, client X"). */
  label?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeRecord(r: object): Uint8Array {
  return enc.encode(JSON.stringify(r));
}

export function decodeRecord<T>(bytes: Uint8Array): T {
  return JSON.parse(dec.decode(bytes)) as T;
}
