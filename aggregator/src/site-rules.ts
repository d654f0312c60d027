import type { KV, KvEntry, QueuedIterator } from 'nats';
import { decodeRecord, type SiteRecord } from '@pulse/protocol';
import type { Logger } from './log.js';
import type { EventRow } from './rows.js';
import { compileSiteRules, type CompiledSiteRules, type ExclusionRule, type RuleFields } from './site-rules-compile.js';

export interface SiteRules {
  /**
   * The processing rule of the row's site that drops it (`allowed_hostnames`,
   * `excluded_countries`, `excluded_paths`), or undefined to keep it.
   */
  excluded(row: RuleFields & Pick<EventRow, 'site_id'>): ExclusionRule | undefined;
  stop(): Promise<void>;
}

/**
 * Per-site processing rules from `PULSE_SITES`, kept current by a KV watch: a settings change
 * applies to the next batch, without a restart. Resolves once the bucket's current values are in.
 */
export async function watchSiteRules(kv: KV, logger: Logger): Promise<SiteRules> {
  const rules = new Map<string, CompiledSiteRules>();
  let initialised!: () => void;
  const ready = new Promise<void>((r) => (initialised = r));
  const iter: QueuedIterator<KvEntry> = await kv.watch({ initializedFn: () => initialised() });
  const done = (async () => {
    for await (const e of iter) {
      if (e.operation !== 'PUT') {
        rules.delete(e.key);
        continue;
      }
      try {
        const compiled = compileSiteRules(decodeRecord<SiteRecord>(e.value).settings);
        if (compiled) rules.set(e.key, compiled);
        else rules.delete(e.key);
      } catch (err) {
        logger.log('warn', 'unreadable site record ignored', { site_id: e.key, err });
      }
    }
  })();
  await ready;
  return {
    excluded(row) {
      return rules.get(row.site_id)?.excluded(row);
    },
    async stop() {
      iter.stop();
      await done;
    },
  };
}
