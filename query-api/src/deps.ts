import type { UsageShare } from '@pulse/protocol/usage-share';
import type { AnswerCache } from './cache.js';
import type { ResolvedOptions } from './config.js';
import type { Freshness } from './freshness.js';
import type { Logger } from './log.js';
import type { ApiMetrics } from './metrics.js';
import type { RateLimiter } from './ratelimit.js';
import type { Readiness } from './readiness.js';
import type { SchemaProbe } from './schema-probe.js';
import type { TenancyStore } from './tenancy/store.js';

/** What request handlers share. */
export interface Deps {
  opts: ResolvedOptions;
  tenancy: TenancyStore;
  cache: AnswerCache;
  limiter: RateLimiter;
  /** Tells the other instances what this one's keys used (`limiter` hears theirs). */
  usage: UsageShare;
  metrics: ApiMetrics;
  freshness: Freshness;
  schema: SchemaProbe;
  log: Logger;
  /** Probes the dependencies for `/readyz` (and the readiness gauges); concurrent callers share one probe. */
  readiness: () => Promise<Readiness>;
}
