import { BadRequestError, causeChain, QueryTimeoutError, UnavailableError } from './errors.js';

/**
 * What the query API needs from `@pulse/aggregator/storage`'s Storage: reads and a ping.
 * A narrower structural type, so any Storage (chDB or server) can be passed in.
 */
export interface QueryStorage {
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>, settings?: Record<string, string | number | boolean>): Promise<T[]>;
  ping(): Promise<boolean>;
}

/** Turns a storage failure into the HTTP answer it deserves; unknown failures are re-thrown (500). */
export function mapStorageError(err: unknown): never {
  const links = causeChain(err);
  const text = links.map((e) => `${(e as { code?: unknown }).code ?? ''} ${(e as Error).message ?? ''}`).join(' ');
  if (/TIMEOUT_EXCEEDED|\b159\b|Timeout exceeded/i.test(text)) {
    throw new QueryTimeoutError('the query took too long; narrow the date range or the breakdown', { cause: err });
  }
  // Intl and ClickHouse ship their own tz databases; a zone only one of them knows is the caller's to fix.
  if (/CANNOT_LOAD_TIME_ZONE|Cannot load time zone|Unknown time ?zone/i.test(text)) {
    throw new BadRequestError('timezone', 'not a time zone the storage engine knows');
  }
  if (/UNKNOWN_TABLE|\b60\b.*doesn't exist|Unknown table/i.test(text)) {
    throw new UnavailableError('the events table does not exist yet; start the aggregator, which creates the schema', { cause: err });
  }
  const retryable = links.some((e) => (e as { retryable?: unknown }).retryable === true);
  if (retryable) throw new UnavailableError('storage is unavailable, retry shortly', { cause: err });
  throw err;
}

/** The aggregator creates the schema; until it has, reports cannot be answered. */
export async function schemaReady(storage: QueryStorage): Promise<boolean> {
  try {
    const rows = await storage.query<{ n: number }>(
      "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
    );
    return Number(rows[0]?.n ?? 0) > 0;
  } catch {
    return false;
  }
}
