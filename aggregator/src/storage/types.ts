import type { ClickHouseSettings } from '@clickhouse/client';

export type { ClickHouseSettings };

/**
 * The narrow storage surface every Pulse package uses. Both backends are `@clickhouse/client`
 * clients with the same base settings (see `BASE_SETTINGS`), so the same SQL returns the same JSON:
 * 64-bit integers as JSON numbers, DateTime/DateTime64 as ISO-8601 UTC strings
 * (`2026-01-01T00:00:00.123Z`).
 */
export interface Storage {
  readonly backend: 'chdb' | 'server';
  /** Runs a SELECT and returns its rows (JSONEachRow). `params` bind `{name:Type}` placeholders. */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: Record<string, unknown>,
    settings?: ClickHouseSettings,
  ): Promise<T[]>;
  /** Runs a statement that returns no rows (DDL, INSERT … SELECT, ALTER). */
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  /**
   * Inserts rows, with JSONEachRow's meaning for each value (a DateTime64(3) takes an ISO string or
   * an integer of epoch milliseconds); chDB sends them as a Native block when it can (native.ts).
   * With `dedupToken`, a repeated insert with the same token into the
   * same table is dropped by ClickHouse (`insert_deduplication_token`) — this is what makes stream
   * redeliveries idempotent. `durable` (with a token) keeps the insert until it has succeeded, so
   * `settle` can complete it if this process dies or gives up in the middle (see journal.ts).
   */
  insert(table: string, rows: object[], opts?: InsertOptions): Promise<void>;
  /**
   * Completes the durable inserts that did not: one whose failure this process saw is run again
   * with its token; one an earlier process left when it died is repaired by content (repair.ts;
   * only inserts into `events` can be, others are reported). Call it before a dedup reads the
   * tables they write. A retryable failure throws (and keeps them for the next call); an insert
   * the engine now refuses for its content is given up and reported.
   */
  settle(): Promise<SettleReport>;
  /**
   * Runs `fn` once no other `exclusive` call on this storage is running (in call order). Every
   * aggregator on this storage runs its dedup and insert inside it: two batches holding copies of
   * one client event (an SDK retry) would otherwise both find it missing and both count it. It
   * spans one process only: aggregators in separate processes (a ClickHouse server) keep that race
   * (ARCHITECTURE.md, step 4).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** True when the backend answers a trivial query. Never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface InsertOptions {
  dedupToken?: string;
  durable?: boolean;
}

export interface SettleReport {
  /** Interrupted inserts run again to completion. */
  completed: number;
  /** Interrupted inserts the engine refused when run again (their error), now dropped. */
  refused: Error[];
}

export interface ServerStorageOptions {
  url: string;
  username?: string;
  password?: string;
  database?: string;
  /** The schema is sharded (`migrate({ sharded: true })`): adds SHARDED_SETTINGS to every statement. */
  sharded?: boolean;
}

export interface ChdbStorageOptions {
  /** Data directory of the embedded engine; ONE process may open it at a time. */
  path: string;
  /**
   * Connections opened on the path (default DEFAULT_CHDB_CONNECTIONS): statements run on the
   * least busy one, so that many run at once (chdb-pool.ts).
   */
  connections?: number;
}

export type StorageOptions = ServerStorageOptions | ChdbStorageOptions;
