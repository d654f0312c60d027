import type { KV, KvEntry, QueuedIterator } from 'nats';
import { decodeRecord, type SiteRecord } from '@pulse/protocol';
import type { Logger } from './log.js';

/** `*` matches any run of characters (slashes included); everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

export interface SiteRules {
  /** True when events on this path of this site must be dropped (`excluded_paths`). */
  excluded(siteId: string, path: string): boolean;
  stop(): Promise<void>;
}

/**
 * Per-site processing rules from `PULSE_SITES`, kept current by a KV watch: a settings change
 * applies to the next batch, without a restart. Resolves once the bucket's current values are in.
 */
export async function watchSiteRules(kv: KV, logger: Logger): Promise<SiteRules> {
  const rules = new Map<string, RegExp[]>();
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
        const site = decodeRecord<SiteRecord>(e.value);
        const patterns = Array.isArray(site.settings?.excluded_paths) ? site.settings.excluded_paths : [];
        const compiled = patterns.filter((p): p is string => typeof p === 'string' && p !== '').map(globToRegExp);
        if (compiled.length > 0) rules.set(e.key, compiled);
        else rules.delete(e.key);
      } catch (err) {
        logger.log('warn', 'unreadable site record ignored', { site_id: e.key, err });
      }
    }
  })();
  await ready;
  return {
    excluded(siteId, path) {
      const list = rules.get(siteId);
      if (!list || path === '') return false;
      return list.some((re) => re.test(path));
    },
    async stop() {
      iter.stop();
      await done;
    },
  };
}
