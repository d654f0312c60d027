import type { JournalEntry } from './journal.js';
import { ROLLUPS, selectColumns, selectSql, type Rollup } from './schema-rollups.js';
import { EVENTS_TABLE } from './schema-events.js';
import { literal } from './settings.js';
import type { Storage } from './types.js';

type Sql = Pick<Storage, 'query' | 'command'>;

/** Staging table of one rollup while it is rebuilt (dropped before and after). */
export const REPAIR_PREFIX = 'pulse_repair_';

/**
 * Why not simply run the insert again with its token: a MergeTree table without replication keeps
 * its insert-deduplication log in a buffered file that is flushed only when the log rotates or the
 * table shuts down. A killed process loses the recent entries, so after a kill the token no
 * longer protects the tables that had committed the block: they would take it twice (measured:
 * a kill during a slow view left `events` and every rollup with the block; running it again gave
 * two rollups twice the events). So the rows are put back by content and the rollups recomputed:
 *
 * 1. the entry's rows that `events` lacks (by site and client event id) are inserted (its views
 *    fire, which step 2 makes irrelevant);
 * 2. for each rollup, the buckets the entry's rows fall in, for the entry's sites, are recomputed
 *    from `events` (FINAL) into a copy of the rollup's affected partitions that keeps every other
 *    row as it was, and each partition is swapped in with REPLACE PARTITION (atomic per table).
 *
 * Every step can run again from the start with the same result, so a crash during the repair is
 * repaired by the next one. With a TTL on `events`, buckets the TTL may have cut into are not
 * recomputed (see `retainedFrom`): for the entry's rows that old, a rollup may keep one count too
 * many or too few, as before this repair existed; recomputing them would lose far more. Nothing
 * else may write `events` meanwhile: the aggregators run it before they consume (chDB has one
 * process).
 */
export async function repairEventsInsert(db: Sql, e: JournalEntry, eventTypes: ReadonlyMap<string, string>): Promise<void> {
  const src = fileSource(e, eventTypes);
  const columns = e.columns.join(', ');
  await db.command(
    `INSERT INTO ${EVENTS_TABLE} (${columns})
     SELECT * FROM ${src}
     WHERE (site_id, event_id) NOT IN (
       SELECT site_id, event_id FROM ${EVENTS_TABLE}
       WHERE site_id IN (SELECT site_id FROM ${src}) AND event_id IN (SELECT event_id FROM ${src}))`,
  );
  const from = await retainedFrom(db);
  const rows = everyColumn(src, e, eventTypes);
  for (const r of ROLLUPS) await rebuildRollup(db, r, rows, from);
}

/**
 * The entry's rows with every column of `events`: a column the insert did not name took its
 * type's default there (no column of `events` has a DEFAULT expression), and a rollup's condition
 * may read it (`revenue_currency != ''`), so it must see the same value here.
 */
function everyColumn(src: string, e: JournalEntry, types: ReadonlyMap<string, string>): string {
  const missing = [...types].filter(([c]) => !e.columns.includes(c));
  if (missing.length === 0) return src;
  return `(SELECT *, ${missing.map(([c, t]) => `defaultValueOfTypeName(${literal(t)}) AS ${c}`).join(', ')} FROM ${src})`;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Room for the repair's own duration: a bucket this close to the TTL's edge is left alone. */
const TTL_MARGIN_MS = 60 * 60 * 1000;

/**
 * The earliest time (epoch seconds) whose events a TTL on `events` cannot have dropped yet, or 0
 * without a TTL. The rollups outlive raw events: a bucket older than this recomputed from
 * `events` would lose the counts of every event the TTL removed (a whole day of a site's
 * visitors for one late event in the interrupted batch), so such buckets are not recomputed.
 */
async function retainedFrom(db: Sql): Promise<number> {
  const [t] = await db.query<{ engine_full: string }>(
    'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {name:String}',
    { name: EVENTS_TABLE },
  );
  const days = /\bTTL\s+toDateTime\(ts\)\s*\+\s*toIntervalDay\((\d+)\)/.exec(t?.engine_full ?? '')?.[1];
  return days === undefined ? 0 : Math.ceil((Date.now() - Number(days) * DAY_MS + TTL_MARGIN_MS) / 1000);
}

/** The entry's body as a table: Native names its own columns; JSON needs the table's types. */
function fileSource(e: JournalEntry, types: ReadonlyMap<string, string>): string {
  if (e.format === 'Native') return `file(${literal(e.data)}, 'Native')`;
  const structure = e.columns.map((c) => `${c} ${types.get(c) ?? 'String'}`).join(', ');
  return `file(${literal(e.data)}, '${e.format}', ${literal(structure)})`;
}

async function rebuildRollup(db: Sql, r: Rollup, src: string, retainedFromSec: number): Promise<void> {
  const [span] = await db.query<{ sites: string[]; lo: number; hi: number; parts: number[] }>(
    `SELECT groupUniqArray(site_id) AS sites, toUnixTimestamp(min(bucket)) AS lo, toUnixTimestamp(max(bucket)) AS hi,
            groupUniqArray(toYYYYMM(bucket)) AS parts
     FROM (SELECT site_id, ${r.bucket} AS bucket FROM ${src}${r.where ? ` WHERE ${r.where}` : ''})
     WHERE bucket >= toDateTime({from:UInt32}, 'UTC')`,
    { from: retainedFromSec },
  );
  // None of the entry's rows feeds this rollup (e.g. no pageview for a pageviews rollup): its view
  // wrote nothing for the entry, so there is nothing to recompute.
  if (!span || span.sites.length === 0) return;
  const tmp = `${REPAIR_PREFIX}${r.table}`;
  const p = { sites: span.sites, lo: span.lo, hi: span.hi, parts: span.parts };
  const inWindow = `site_id IN {sites:Array(String)} AND bucket >= toDateTime({lo:UInt32}, 'UTC') AND bucket <= toDateTime({hi:UInt32}, 'UTC')`;
  await db.command(`DROP TABLE IF EXISTS ${tmp}`);
  await db.command(`CREATE TABLE ${tmp} AS ${r.table}`);
  try {
    await db.command(`INSERT INTO ${tmp} SELECT * FROM ${r.table} WHERE toYYYYMM(bucket) IN {parts:Array(UInt32)} AND NOT (${inWindow})`, p);
    // Events of the window's whole buckets: a day bucket starts before the earliest row's time.
    const events = `(SELECT * FROM ${EVENTS_TABLE} FINAL
       WHERE site_id IN {sites:Array(String)} AND ts >= toDateTime({lo:UInt32}, 'UTC') AND ts < toDateTime({hi:UInt32}, 'UTC') + INTERVAL 1 DAY)`;
    await db.command(
      `INSERT INTO ${tmp} (${selectColumns(r).join(', ')}) SELECT * FROM (${selectSql(r, events)}) WHERE ${inWindow}`,
      p,
    );
    for (const part of span.parts) {
      await db.command(`ALTER TABLE ${r.table} REPLACE PARTITION ID '${part}' FROM ${tmp}`);
    }
  } finally {
    await db.command(`DROP TABLE IF EXISTS ${tmp}`);
  }
}
