import type { KV, KvEntry, QueuedIterator } from 'nats';
import { UnavailableError } from '../errors.js';

export interface ScanOptions {
  /** A key or a wildcard (`>` for all). On nats-server 2.9 a filter narrower than `>` still walks the bucket. */
  key: string;
  /** Only entries written at or after this revision (stream sequence) of the bucket. */
  fromRevision?: number;
  /** Stop after this many entries; `truncated` then says more matched. */
  max: number;
  /** The whole scan fails after this long (a watch whose end marker never comes must not hang a request). */
  timeoutMs: number;
}

/**
 * The current entries of `kv` matching `key` (deletes included, as `DEL`/`PURGE` entries), in
 * revision order, read through one ordered consumer that ends at the last stored value: one stream
 * of messages instead of a `keys()` listing followed by a `get` per key. With `fromRevision` it
 * starts there, so reading what a bucket gained since then costs what was gained.
 */
export async function scanKv(kv: KV, o: ScanOptions): Promise<{ entries: KvEntry[]; truncated: boolean }> {
  let initialized = false;
  let it: QueuedIterator<KvEntry> | undefined;
  it = await kv.watch({
    key: o.key,
    ...(o.fromRevision !== undefined && o.fromRevision > 0 ? { resumeFromRevision: o.fromRevision } : {}),
    initializedFn: () => {
      initialized = true;
      it?.stop();
    },
  });
  // Nothing to read, or everything already queued before watch() returned: the queue still drains.
  if (initialized) it.stop();
  const watch = it;
  const timer = setTimeout(() => watch.stop(new UnavailableError(`the key store (NATS) did not list ${o.key} within ${o.timeoutMs} ms, retry shortly`)), o.timeoutMs);
  const entries: KvEntry[] = [];
  let truncated = false;
  try {
    for await (const e of watch) {
      // nats.js may queue an empty item next to its end marker.
      if (!e) continue;
      if (entries.length >= o.max) {
        truncated = true;
        watch.stop();
        break;
      }
      entries.push(e);
    }
  } finally {
    clearTimeout(timer);
    watch.stop();
  }
  return { entries, truncated };
}
