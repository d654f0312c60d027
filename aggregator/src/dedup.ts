import type { EventRow } from './rows.js';
import type { Storage } from './storage/types.js';
import { EVENTS_TABLE } from './storage/schema-events.js';

/** A retried SDK request carries the same event ids; its clock correction may differ by this much. */
export const DEDUP_TIME_MARGIN_MS = 60 * 60 * 1000;
/**
 * Ids per lookup. Query parameters travel in the URL to a ClickHouse server, whose default
 * `http_max_uri_size` is 1 MiB: 5,000 ids of up to 128 characters (escaped) stay under it.
 */
export const DEDUP_IDS_PER_QUERY = 5_000;
/**
 * Embedded chDB has no URL to fit into, and each statement has a fixed cost: one lookup of 75,000
 * ids took 250 ms where fifteen of 5,000 took 640 ms.
 */
export const DEDUP_IDS_PER_QUERY_EMBEDDED = 100_000;

/**
 * Drops rows whose (site, client event id) is already stored or appears earlier in the batch,
 * so SDK retries and stream redeliveries are no-ops. One lookup per batch, narrowed by site, by
 * time (± margin) and by the bloom-filter index on event_id. `table` is the replay's staging table
 * when a replay runs the same pipeline.
 */
export async function dropDuplicates(rows: EventRow[], storage: Storage, table = EVENTS_TABLE): Promise<{ fresh: EventRow[]; duplicates: number }> {
  // Per site, not `${site}\u0000${id}`: a joined key is a new string to flatten and hash per row.
  const seen = new Map<string, Set<string>>();
  const unique: EventRow[] = [];
  const ids: string[] = [];
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const r of rows) {
    let site = seen.get(r.site_id);
    if (!site) seen.set(r.site_id, (site = new Set()));
    if (site.has(r.event_id)) continue;
    site.add(r.event_id);
    unique.push(r);
    ids.push(r.event_id);
    if (r.ts < minTs) minTs = r.ts;
    if (r.ts > maxTs) maxTs = r.ts;
  }
  if (unique.length === 0) return { fresh: [], duplicates: rows.length };
  const sites = [...seen.keys()];
  const stored: Array<{ site_id: string; event_id: string }> = [];
  const chunk = storage.backend === 'chdb' ? DEDUP_IDS_PER_QUERY_EMBEDDED : DEDUP_IDS_PER_QUERY;
  for (let i = 0; i < ids.length; i += chunk) {
    stored.push(
      ...(await storage.query<{ site_id: string; event_id: string }>(
        // The ids travel as one JSON string parameter: binding a large Array(String) parameter
        // costs the engine seconds per 10,000 ids (25 s for 75,000 on chDB), parsing one JSON
        // string milliseconds. An id of two sites is sent twice, which changes nothing.
        `SELECT site_id, event_id FROM ${table}
         WHERE site_id IN {sites:Array(String)}
           AND event_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
           AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
           AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`,
        {
          sites,
          ids: JSON.stringify(ids.slice(i, i + chunk)),
          from: minTs - DEDUP_TIME_MARGIN_MS,
          to: maxTs + DEDUP_TIME_MARGIN_MS,
        },
      )),
    );
  }
  if (stored.length === 0) return { fresh: unique, duplicates: rows.length - unique.length };
  const existing = new Map<string, Set<string>>();
  for (const s of stored) {
    let site = existing.get(s.site_id);
    if (!site) existing.set(s.site_id, (site = new Set()));
    site.add(s.event_id);
  }
  const fresh = unique.filter((r) => !existing.get(r.site_id)?.has(r.event_id));
  return { fresh, duplicates: rows.length - fresh.length };
}
