import { StorageError } from '../errors.js';
import { EVENTS_TABLE } from '../storage/schema-events.js';
import { settingsClause } from '../storage/settings.js';
import { ROLLUPS, selectSql } from '../storage/schema-rollups.js';
import type { Storage } from '../storage/types.js';

/** Staging tables of one replay: `<replay_id>_events` and `<replay_id>_<rollup>`, fed by `<replay_id>_mv_<rollup>`. */
export interface Staging {
  prefix: string;
  events: string;
  /** live table → staging table */
  tables: { live: string; staging: string }[];
  views: string[];
}

export const STAGING_PREFIX = 'rp_';

export function stagingFor(replayId: string): Staging {
  const prefix = replayId;
  return {
    prefix,
    events: `${prefix}_events`,
    tables: [{ live: EVENTS_TABLE, staging: `${prefix}_events` }, ...ROLLUPS.map((r) => ({ live: r.table, staging: `${prefix}_${r.table}` }))],
    views: ROLLUPS.map((r) => `${prefix}_${r.view}`),
  };
}

/**
 * Empty copies of `events` and of every rollup (same engine, keys and partitioning, which
 * REPLACE PARTITION requires), and views that keep the staging rollups in step with the staging
 * events exactly as the live views do for the live tables.
 */
export async function createStaging(storage: Storage, s: Staging, onCluster = ''): Promise<void> {
  await dropStaging(storage, s, onCluster);
  for (const t of s.tables) await storage.command(`CREATE TABLE ${t.staging}${onCluster} AS ${t.live}`);
  for (const [i, r] of ROLLUPS.entries()) {
    const t = s.tables[i + 1];
    if (!t) continue;
    await storage.command(`CREATE MATERIALIZED VIEW ${s.views[i]}${onCluster} TO ${t.staging} AS\n${selectSql(r, s.events)}`);
  }
}

/**
 * Drops the replay's views, then its tables: the ones this version makes, and any other table of
 * its prefix, which a replay killed under a version with other rollups may have left behind.
 */
export async function dropStaging(storage: Storage, s: Staging, onCluster = ''): Promise<void> {
  const found = await storage.query<{ name: string; engine: string }>(
    'SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND startsWith(name, {prefix:String})',
    { prefix: `${s.prefix}_` },
  );
  const views = new Set([...s.views, ...found.filter((t) => t.engine === 'MaterializedView').map((t) => t.name)]);
  const tables = new Set([...s.tables.map((t) => t.staging), ...found.map((t) => t.name)].filter((n) => !views.has(n)));
  for (const v of views) await storage.command(`DROP VIEW IF EXISTS ${v}${onCluster}`);
  for (const t of tables) await storage.command(`DROP TABLE IF EXISTS ${t}${onCluster}`);
}

/** Replay ids whose staging tables exist in this database. */
export async function stagingIds(storage: Storage): Promise<string[]> {
  const rows = await storage.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'rp\\_%\\_events'`,
  );
  return rows.map((r) => r.name.slice(0, -'_events'.length));
}

/** Month partitions (`toYYYYMM`) that [from, to) touches. */
export function monthPartitions(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  const d = new Date(fromMs);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  const last = new Date(toMs - 1);
  const lastKey = last.getUTCFullYear() * 100 + last.getUTCMonth() + 1;
  for (let key = y * 100 + m + 1; key <= lastKey; key = y * 100 + m + 1) {
    out.push(key);
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  return out;
}

export interface ReplaySlice {
  fromMs: number;
  toMs: number;
  siteId: string | undefined;
  cutSeq: number;
  partitions: number[];
}

/** Rows the replay replaces: in the range (and site) and from messages up to the cut. */
function replacedPredicate(siteId: string | undefined): string {
  return `(ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         AND stream_seq <= {cut:UInt64}${siteId !== undefined ? ' AND site_id = {site:String}' : ''})`;
}

function params(x: ReplaySlice): Record<string, unknown> {
  return { from: x.fromMs, to: x.toMs, cut: x.cutSeq, parts: x.partitions, ...(x.siteId !== undefined ? { site: x.siteId } : {}) };
}

/**
 * Copies every live row of the affected partitions the replay does not replace into staging
 * (other sites, other times of the month, and everything live stored from after the cut). Runs
 * while live inserts go on; `copyLiveDelta` picks up what arrived meanwhile.
 */
export async function copyLiveKept(storage: Storage, s: Staging, x: ReplaySlice): Promise<void> {
  await storage.command(
    `INSERT INTO ${s.events} SELECT * FROM ${EVENTS_TABLE}
     WHERE toYYYYMM(ts) IN {parts:Array(UInt32)} AND NOT ${replacedPredicate(x.siteId)}`,
    params(x),
  );
}

/**
 * Under the fence: rows live inserted since `copyLiveKept` read the table. Every message up to
 * the cut had been finished by live before the replay began, so anything new is after the cut.
 */
export async function copyLiveDelta(storage: Storage, s: Staging, x: ReplaySlice): Promise<void> {
  await storage.command(
    `INSERT INTO ${s.events} SELECT * FROM ${EVENTS_TABLE}
     WHERE toYYYYMM(ts) IN {parts:Array(UInt32)} AND stream_seq > {cut:UInt64}
       AND (site_id, event_id, stream_seq) NOT IN (
         SELECT site_id, event_id, stream_seq FROM ${s.events}
         WHERE toYYYYMM(ts) IN {parts:Array(UInt32)} AND stream_seq > {cut:UInt64})`,
    params(x),
  );
}

/**
 * How long one partition replace may wait for its table locks before it gives up and is tried
 * again. A replace waits for every query reading the table; under ClickHouse's default (120 s) a
 * lock wait tangled with concurrent multi-table reads stalls the swap, and live inserts with it,
 * for two minutes. Replacing a partition from the same staging copy again gives the same result.
 */
export const REPLACE_LOCK_TIMEOUT_S = 5;
export const REPLACE_ATTEMPTS = 4;
const LOCK_TIMED_OUT = /DEADLOCK_AVOIDED|Locking attempt timed out|\b473\b/i;

/**
 * Atomically replaces each affected partition of `events` and of every rollup with the staging
 * one. Each REPLACE PARTITION swaps the partition's set of parts in one step, so a query on a
 * table sees the old or the new partition, never a mix. An empty staging partition (everything
 * in it excluded now) must still replace: newer servers want that said explicitly.
 */
export async function replacePartitions(storage: Storage, s: Staging, partitions: number[], onCluster = ''): Promise<void> {
  for (const t of s.tables) {
    for (const p of partitions) {
      const sql = `ALTER TABLE ${t.live}${onCluster} REPLACE PARTITION ID '${p}' FROM ${t.staging}`;
      for (let attempt = 1; ; attempt++) {
        try {
          await replaceOnce(storage, sql);
          break;
        } catch (err) {
          if (attempt >= REPLACE_ATTEMPTS || !(err instanceof StorageError) || !LOCK_TIMED_OUT.test(err.message)) throw err;
        }
      }
    }
  }
}

async function replaceOnce(storage: Storage, sql: string): Promise<void> {
  try {
    await storage.command(`${sql} ${settingsClause({ allow_replace_partition_from_empty_source: 1, lock_acquire_timeout: REPLACE_LOCK_TIMEOUT_S })}`);
  } catch (err) {
    // Older servers do not know the setting and replace from an empty source anyway.
    if (!(err instanceof StorageError) || !/unknown setting/i.test(err.message)) throw err;
    await storage.command(`${sql} ${settingsClause({ lock_acquire_timeout: REPLACE_LOCK_TIMEOUT_S })}`);
  }
}
