import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { StorageError } from '../errors.js';
import { checkTableName, settingsClause, withSettings } from './settings.js';
import type { InsertOptions, SettleReport, Storage } from './types.js';

/**
 * ClickHouse error codes worth retrying: the statement was fine, the cluster was not
 * (timeouts, overload, read-only replicas, too many parts, Keeper trouble).
 */
const RETRYABLE_CODES = new Set([
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '279', // ALL_CONNECTION_TRIES_FAILED
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);

/**
 * The numeric ClickHouse error code of an engine answer, or undefined for transport failures.
 * Duck-typed: chDB raises the ClickHouseError class of its own @clickhouse/client-common copy,
 * which `instanceof` against the client's class does not recognise.
 */
function clickhouseCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  // chDB's raw insert raises ChdbInsertError with `code` 'CHDB_INSERT' and the engine's number here.
  const engine = (err as { clickhouseCode?: unknown }).clickhouseCode;
  return typeof engine === 'number' && Number.isInteger(engine) ? String(engine) : undefined;
}

/** Whether trying the same statement again may succeed (see RETRYABLE_CODES). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof StorageError) return err.retryable;
  const code = clickhouseCode(err);
  // Errors that are not ClickHouse answers are transport failures (refused, reset, timed out).
  return code === undefined ? true : RETRYABLE_CODES.has(code);
}

export function toStorageError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(`${what}: ${message}`, { cause: err, retryable: isRetryable(err), clickhouseCode: clickhouseCode(err) });
}

/**
 * How per-call settings reach the engine. `request` sends them with the request (HTTP server:
 * scoped to that request). `statement` renders them into the SQL as a SETTINGS clause because
 * chDB turns request settings into session-wide SETs that leak into later statements.
 */
export type SettingsScope = 'request' | 'statement';

/**
 * Sent with every insert. The events table feeds ten materialized views, which ClickHouse fills
 * one after the other by default; in parallel they leave less of the machine idle. And the rollups
 * (AggregatingMergeTree) and `events` (ReplacingMergeTree) are not merged at insert time: a view's
 * GROUP BY already gives one row per key per block and the batch's event ids are already unique,
 * so that merge pass (re-merging every sketch state) changed nothing but cost a third of the
 * insert; background merges still collapse keys across parts, and every query aggregates anyway.
 * One 62,000-row batch on chDB, 2 cores: 420–450 ms as before, 325–355 ms with parallel views,
 * 257–267 ms with both (sixth session).
 */
const INSERT_SETTINGS = { parallel_view_processing: 1, optimize_on_insert: 0 } as const;

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The first row's keys when every row has exactly those keys in that order (as rows built by one
 * object literal do), else undefined. Compared key by key without building an array per row.
 */
function sharedColumns(rows: readonly object[]): string[] | undefined {
  const columns = Object.keys(rows[0] as object);
  if (!columns.every((c) => COLUMN_NAME.test(c))) return undefined;
  for (const r of rows) {
    let i = 0;
    for (const k in r) {
      if (k !== columns[i]) return undefined;
      i++;
    }
    if (i !== columns.length) return undefined;
  }
  return columns;
}

/**
 * chDB parses an inline insert body as part of the statement; without the repeated keys the body
 * is less than half the size and parses about a third faster.
 */
function compactJson(rows: readonly object[], columns: readonly string[]): string {
  const lines = rows.map((r) => JSON.stringify(columns.map((c) => (r as Record<string, unknown>)[c] ?? null)));
  return lines.join('\n') + '\n';
}

/**
 * A backend's own way to load rows that all share `columns` (chDB: from a spool file, see
 * chdb.ts), instead of appending them to the SQL text. `json()` is the JSONCompactEachRow body
 * the backend may send instead of its own encoding.
 */
export type RawInsert = (p: {
  table: string;
  columns: string[];
  rows: readonly object[];
  json: () => string;
  settings: ClickHouseSettings;
  durable: boolean;
}) => Promise<void>;

/** What a backend adds to the shared client storage. */
export interface BackendHooks {
  onClose: () => Promise<void>;
  rawInsert?: RawInsert;
  settle: () => Promise<SettleReport>;
}

export function clientStorage(backend: Storage['backend'], client: ClickHouseClient, scope: SettingsScope, hooks: BackendHooks): Storage {
  const { onClose, rawInsert, settle } = hooks;
  let closed = false;
  // The end of the last exclusive section queued; never rejects.
  let exclusiveTail: Promise<void> = Promise.resolve();
  return {
    backend,

    async query<T>(sql: string, params?: Record<string, unknown>, settings?: ClickHouseSettings): Promise<T[]> {
      try {
        const rs = await client.query({
          query: scope === 'statement' ? withSettings(sql, settings) : sql,
          format: 'JSONEachRow',
          ...(params ? { query_params: params } : {}),
          ...(scope === 'request' && settings ? { clickhouse_settings: settings } : {}),
        });
        return await rs.json<T>();
      } catch (err) {
        throw toStorageError(err, 'query failed');
      }
    },

    async command(sql: string, params?: Record<string, unknown>): Promise<void> {
      try {
        await client.command({ query: sql, ...(params ? { query_params: params } : {}) });
      } catch (err) {
        throw toStorageError(err, 'command failed');
      }
    },

    settle,

    exclusive<T>(fn: () => Promise<T>): Promise<T> {
      const run = exclusiveTail.then(fn);
      exclusiveTail = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },

    async insert(table: string, rows: object[], opts?: InsertOptions): Promise<void> {
      if (rows.length === 0) return;
      checkTableName(table);
      const token = opts?.dedupToken;
      const insertSettings = { ...INSERT_SETTINGS, ...(token !== undefined ? { insert_deduplication_token: token } : {}) };
      try {
        if (scope === 'request') {
          await client.insert({
            table,
            values: rows,
            format: 'JSONEachRow',
            clickhouse_settings: insertSettings,
          });
          return;
        }
        const clause = ` ${settingsClause(insertSettings)}`;
        const columns = sharedColumns(rows);
        if (columns && rawInsert) {
          await rawInsert({
            table,
            columns,
            rows,
            json: () => compactJson(rows, columns),
            // Statement-scoped like the clause above; the input format setting is repeated so
            // the raw path never depends on what an earlier statement left in the session.
            settings: { date_time_input_format: 'best_effort', ...insertSettings },
            durable: opts?.durable === true && token !== undefined,
          });
          return;
        }
        const result = await client.exec({
          query: columns
            ? `INSERT INTO ${table} (${columns.join(', ')})${clause} FORMAT JSONCompactEachRow`
            : `INSERT INTO ${table}${clause} FORMAT JSONEachRow`,
          values: Readable.from([columns ? compactJson(rows, columns) : rows.map((r) => JSON.stringify(r)).join('\n') + '\n']),
        });
        result.stream.destroy();
      } catch (err) {
        throw toStorageError(err, `insert into ${table} failed`);
      }
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      try {
        const r = await client.ping();
        return r.success;
      } catch {
        return false;
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await client.close();
      await onClose();
    },
  };
}
