import type { ClickHouseSettings } from '@clickhouse/client';
import { ConfigError, StorageError } from '../errors.js';
import type { Storage } from './types.js';

/**
 * Settings sent with every statement on both backends so their JSON output is identical:
 * - 64-bit integers unquoted (JSON numbers; counts stay below 2^53 in practice),
 * - DateTime/DateTime64 rendered as ISO-8601 in UTC with `Z` (`2026-01-01T00:00:00.123Z`),
 *   which `new Date(s)` parses without timezone guessing,
 * - inputs parsed best-effort so inserts may pass `2026-01-01 00:00:00.123` or ISO strings.
 */
export const BASE_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 0,
  date_time_output_format: 'iso',
  date_time_input_format: 'best_effort',
};

/**
 * Added on a sharded cluster (local tables under Distributed ones, placed by site):
 * - an insert into a Distributed table returns once every shard has its rows, not when they are
 *   queued on the node that took the insert: the aggregator acks the stream only then, the dedup
 *   of the next batch reads them, and `insert_deduplication_token` travels with them
 *   (`insert_distributed_sync`, called `distributed_foreground_insert` on newer servers);
 * - `IN`/`JOIN` subqueries over Distributed tables run on each shard against its local tables:
 *   a site's events, rollups and visits share a shard, so nothing is missed, and no shard ships
 *   its rows to the others (the default, `deny`, refuses such queries).
 */
export const SHARDED_SETTINGS: ClickHouseSettings = {
  insert_distributed_sync: 1,
  distributed_product_mode: 'local',
};

/**
 * Throws ConfigError (`sharded`) unless `storage` sends SHARDED_SETTINGS: without
 * `insert_distributed_sync` an insert returns while its rows are still queued for the shards, the
 * batch is acked, and the next batch's dedup cannot see them yet.
 */
export async function checkShardedSettings(storage: Storage): Promise<void> {
  const [row] = await storage.query<{ sync: unknown }>("SELECT toString(getSetting('insert_distributed_sync')) AS sync");
  // A Bool on newer servers ('true'), a UInt64 on older ones ('1').
  if (row?.sync !== 'true' && row?.sync !== '1') {
    throw new ConfigError('sharded', 'a sharded layout needs a storage made with { sharded: true } (createServerStorage), which waits for every shard on inserts');
  }
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A ClickHouse SQL literal for a setting value. Strings escape `\` and `'`. */
export function literal(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  throw new StorageError(`unsupported setting value ${JSON.stringify(value)}`, { retryable: false });
}

/**
 * Renders settings as a statement-level `SETTINGS a = 1, b = 'x'` clause. chDB applies a client's
 * per-call `clickhouse_settings` as session-wide `SET`s that stick to later statements (a dedup
 * token would silently drop the next insert), so the chDB backend scopes per-call settings to one
 * statement with this clause instead.
 */
export function settingsClause(settings: ClickHouseSettings | undefined): string {
  if (!settings) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!SETTING_NAME.test(name)) {
      throw new StorageError(`invalid setting name ${JSON.stringify(name)}`, { retryable: false });
    }
    parts.push(`${name} = ${literal(value)}`);
  }
  return parts.length === 0 ? '' : `SETTINGS ${parts.join(', ')}`;
}

/** Appends a settings clause to a SELECT, merging with a trailing SETTINGS clause if one exists. */
export function withSettings(sql: string, settings: ClickHouseSettings | undefined): string {
  const clause = settingsClause(settings);
  const body = sql.trim().replace(/;+\s*$/, '');
  if (clause === '') return body;
  // A trailing top-level SETTINGS clause (no parenthesis after it) gets the extra pairs appended.
  if (/\bSETTINGS\s+[^()]*$/i.test(body)) return `${body}, ${clause.slice('SETTINGS '.length)}`;
  return `${body}\n${clause}`;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function checkTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new StorageError(`invalid table name ${JSON.stringify(table)}`, { retryable: false });
  }
  return table;
}
