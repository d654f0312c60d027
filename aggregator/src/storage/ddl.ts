import { ConfigError } from '../errors.js';

export type MergeTreeKind = 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree' | 'SummingMergeTree';

/**
 * What changes between a single node (chDB or one server) and a cluster: the ON CLUSTER clause,
 * Replicated engines, and where insert deduplication is configured. Migrations render their DDL
 * through this so the same migration serves both.
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

/** How many recent insert blocks a non-replicated table remembers for token deduplication. */
export const DEDUP_WINDOW = 10_000;

const CLUSTER_NAME = /^[A-Za-z0-9_.-]+$/;

export function ddlContext(cluster?: string): DdlContext {
  if (cluster !== undefined && !CLUSTER_NAME.test(cluster)) {
    throw new ConfigError('cluster', `invalid cluster name ${JSON.stringify(cluster)}`);
  }
  const replicated = cluster !== undefined;
  return {
    onCluster: replicated ? ` ON CLUSTER \`${cluster}\`` : '',
    engine: (kind, args = '') => `${replicated ? `Replicated${kind}` : kind}(${args})`,
    dedupSettings: replicated ? '' : `non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
  };
}

/** `SETTINGS a, b` from the non-empty parts, or ''. */
export function tableSettings(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  return kept.length === 0 ? '' : `SETTINGS ${kept.join(', ')}`;
}
