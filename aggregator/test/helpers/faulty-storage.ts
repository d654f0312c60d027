import type { Storage } from '../../src/storage/index.js';
import { StorageError } from '../../src/storage/index.js';

/**
 * A real Storage with injected faults, to reproduce what a network or a crash does to the
 * aggregator: inserts refused while `down`, or an insert that lands but whose answer is lost.
 */
export interface FaultyStorage extends Storage {
  down: boolean;
  /** The next n inserts reach ClickHouse, then report a failure as if the answer were lost. */
  loseAnswers: number;
  /** Runs before a real insert (e.g. to hold it back while something else happens). */
  beforeInsert: ((table: string, rows: readonly object[]) => Promise<void>) | undefined;
  /** Runs after a successful real insert, before it resolves (e.g. to stall the caller). */
  afterInsert: (() => Promise<void>) | undefined;
  insertCalls: number;
}

export function faulty(inner: Storage): FaultyStorage {
  const s: FaultyStorage = {
    backend: inner.backend,
    down: false,
    loseAnswers: 0,
    beforeInsert: undefined,
    afterInsert: undefined,
    insertCalls: 0,
    query: (sql, params, settings) => {
      if (s.down) return Promise.reject(new StorageError('injected: ClickHouse unreachable', { retryable: true }));
      return inner.query(sql, params, settings);
    },
    command: (sql, params) => inner.command(sql, params),
    async insert(table, rows, opts) {
      s.insertCalls++;
      if (s.down) throw new StorageError('injected: ClickHouse unreachable', { retryable: true });
      if (s.beforeInsert) await s.beforeInsert(table, rows);
      await inner.insert(table, rows, opts);
      if (s.loseAnswers > 0) {
        s.loseAnswers--;
        throw new StorageError('injected: answer lost after the insert landed', { retryable: true });
      }
      if (s.afterInsert) await s.afterInsert();
    },
    // Nothing reaches the inner storage while down, so it has nothing interrupted to settle.
    settle: () => inner.settle(),
    exclusive: (fn) => inner.exclusive(fn),
    ping: () => (s.down ? Promise.resolve(false) : inner.ping()),
    close: () => inner.close(),
  };
  return s;
}
