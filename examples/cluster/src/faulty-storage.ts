import { existsSync, readFileSync } from 'node:fs';
import { StorageError, type Storage } from '@pulse/aggregator/storage';

/**
 * How the fault file makes storage fail:
 * - `down` (or an empty file): every statement fails before it reaches ClickHouse, like a refused
 *   connection; `ping()` answers false.
 * - `lost-reply`: every statement runs, then fails, like a connection that breaks after ClickHouse
 *   committed an insert but before its answer arrived (the caller must not double-insert on retry).
 */
export type StorageFaultMode = 'down' | 'lost-reply';

export function readFaultMode(file: string): StorageFaultMode | undefined {
  if (!existsSync(file)) return undefined;
  let text = '';
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    // removed between the two calls: no fault
    return undefined;
  }
  return text === 'lost-reply' ? 'lost-reply' : 'down';
}

function injected(mode: StorageFaultMode): StorageError {
  return new StorageError(`storage unavailable (fault injected: ${mode})`, { retryable: true });
}

/**
 * Wraps a Storage so a test can take "ClickHouse" away and give it back while the process keeps
 * running. Errors are the same StorageError (retryable, `storage_unavailable`) the server backend
 * raises for a refused connection or a timeout, so callers take their real recovery path.
 */
export function withStorageFaults(inner: Storage, faultFile: string): Storage {
  async function guarded<T>(run: () => Promise<T>): Promise<T> {
    const mode = readFaultMode(faultFile);
    if (mode === 'down') throw injected(mode);
    const result = await run();
    if (mode === 'lost-reply') throw injected(mode);
    return result;
  }
  return {
    backend: inner.backend,
    query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>, settings?: Parameters<Storage['query']>[2]) {
      return guarded(() => inner.query<T>(sql, params, settings));
    },
    command: (sql, params) => guarded(() => inner.command(sql, params)),
    insert: (table, rows, opts) => guarded(() => inner.insert(table, rows, opts)),
    settle: () => guarded(() => inner.settle()),
    exclusive: (fn) => inner.exclusive(fn),
    async ping() {
      if (readFaultMode(faultFile) !== undefined) return false;
      return inner.ping();
    },
    close: () => inner.close(),
  };
}
