import type { Rand } from './mutate.js';

export type Target = 'collector' | 'query';

/** One hostile request, described well enough to replay it from a finding. */
export interface HostileRequest {
  target: Target;
  /** What kind of abuse (histogram row; e.g. `mutated_msgpack`). */
  family: string;
  method: string;
  /** Path and query string, sent as is. */
  path: string;
  /** Pairs, so a header can be sent twice. */
  headers: Array<[string, string]>;
  body?: Uint8Array;
  /**
   * A 2xx is a legitimate answer: a mutation that stayed a valid batch (sent with the hostile
   * site's key, so it never touches the counted site), an injection string that is just a filter value.
   */
  mayAccept: boolean;
}

/** The tenancy the campaign sets up: a counted site for valid traffic, a hostile merchant for the rest. */
export interface CampaignTenancy {
  adminToken: string;
  validSiteId: string;
  validWriteKey: string;
  validReadKey: string;
  hostileSiteId: string;
  hostileWriteKey: string;
  hostileReadKeys: readonly string[];
}

export interface CaseContext {
  r: Rand;
  t: CampaignTenancy;
  /** Sequence number of this request (unique ids in bodies). */
  seq: number;
}

export type CaseGenerator = (c: CaseContext) => HostileRequest;

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
