import { ConfigError } from '../errors.js';

export type MergeTreeKind = 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree' | 'SummingMergeTree';

/**
 * What changes between a single node (chDB or one server) and a cluster: the ON CLUSTER clause,
 * Replicated engines, where insert deduplication is configured and, on a sharded cluster, where
 * rows are stored. Migrations render their DDL through this so the same migration serves all three.
 */
export interface DdlContext {
  /** `''` or ` ON CLUSTER `name`` (leading space included). */
  readonly onCluster: string;
  /** `ReplacingMergeTree(ver)` or `ReplicatedReplacingMergeTree(ver)` (server default replica path). */
  engine(kind: MergeTreeKind, args?: string): string;
  /**
   * Table SETTINGS for insert deduplication: plain MergeTree tables keep no dedup window unless
   * told to (needed for `insert_deduplication_token` on chDB/one server); Replicated tables
   * deduplicate through Keeper by default.
   */
  readonly dedupSettings: string;
  /**
   * The table that stores `name`'s rows on each node: `name` itself, or on a sharded cluster
   * `name_local`, under a Distributed `name` that every reader and writer uses. DDL that touches
   * storage (engines, indexes, TTL, TRUNCATE, the source and target of a materialized view) names
   * the local table; a column is added to both.
   */
  local(name: string): string;
  /**
   * The Distributed table `name` over `local(name)`, rows placed by `shardingKey`; no statement
   * unless sharded. Created right after the local table, with its columns.
   */
  distributed(name: string, shardingKey: string): string[];
  /** The tables a column added to `name` must be added to: the local one, and the Distributed one over it. */
  columnTables(name: string): string[];
}

export interface DdlOptions {
  /** Cluster name (`remote_servers`): renders ON CLUSTER and Replicated engines. */
  cluster?: string;
  /**
   * Many shards: every table becomes `<name>_local` on each shard plus a Distributed `<name>`
   * over them, placed by site (a site's rows, rollups and visits all live on one shard). Needs
   * `cluster`.
   */
  sharded?: boolean;
  /** Database the Distributed tables point at (their local tables' database on every shard). */
  database?: string;
}

/** How many recent insert blocks a non-replicated table remembers for token deduplication. */
export const DEDUP_WINDOW = 10_000;

/** Suffix of the per-shard tables under a Distributed table. */
export const LOCAL_SUFFIX = '_local';

/** The database Distributed tables point at unless told otherwise (the server's default). */
export const DEFAULT_DATABASE = 'default';

/**
 * Rows of one site stay on one shard: its rollups and visits are whole there, so queries that
 * join or filter by subquery can run shard-locally (`distributed_product_mode = 'local'`).
 */
export const SITE_SHARDING_KEY = 'cityHash64(site_id)';

const IDENTIFIER = /^[A-Za-z0-9_.-]+$/;

export function ddlContext(opts: DdlOptions = {}): DdlContext {
  const { cluster, sharded = false, database = DEFAULT_DATABASE } = opts;
  if (cluster !== undefined && !IDENTIFIER.test(cluster)) {
    throw new ConfigError('cluster', `invalid cluster name ${JSON.stringify(cluster)}`);
  }
  if (!IDENTIFIER.test(database)) throw new ConfigError('database', `invalid database name ${JSON.stringify(database)}`);
  if (sharded && cluster === undefined) throw new ConfigError('sharded', 'a sharded layout needs a cluster name');
  const replicated = cluster !== undefined;
  const onCluster = replicated ? ` ON CLUSTER \`${cluster}\`` : '';
  const local = (name: string): string => (sharded ? `${name}${LOCAL_SUFFIX}` : name);
  return {
    onCluster,
    engine: (kind, args = '') => `${replicated ? `Replicated${kind}` : kind}(${args})`,
    dedupSettings: replicated ? '' : `non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
    local,
    distributed: (name, shardingKey) =>
      sharded
        ? [`CREATE TABLE IF NOT EXISTS ${name}${onCluster} AS ${local(name)}\nENGINE = Distributed('${cluster}', '${database}', ${local(name)}, ${shardingKey})`]
        : [],
    columnTables: (name) => (sharded ? [local(name), name] : [name]),
  };
}

/**
 * One statement of a migration. A guarded one is skipped once the table or view `unlessExists`
 * names exists: a backfill is followed by the view that keeps the table current, so the view's
 * existence says the backfill completed, and a backfill a crash cut short is cleared and run again.
 */
export type MigrationStep = string | { readonly sql: string; readonly unlessExists: string };

export function stepSql(step: MigrationStep): string {
  return typeof step === 'string' ? step : step.sql;
}

/** `SETTINGS a, b` from the non-empty parts, or ''. */
export function tableSettings(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  return kept.length === 0 ? '' : `SETTINGS ${kept.join(', ')}`;
}
