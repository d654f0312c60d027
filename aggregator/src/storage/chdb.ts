import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { drainPending } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { ConfigError, StorageError } from '../errors.js';
import { ChdbConnectionPool, DEFAULT_CHDB_CONNECTIONS, type Connection } from './chdb-pool.js';
import { clientStorage, isRetryable, toStorageError, type RawInsert } from './base.js';
import { InterruptedInserts } from './interrupted.js';
import { InsertJournal, JOURNAL_DIR, type JournalEntry } from './journal.js';
import { NativeEncoder, type NativeColumn } from './native.js';
import { repairEventsInsert } from './repair.js';
import { EVENTS_TABLE } from './schema-events.js';
import { BASE_SETTINGS, literal, settingsClause } from './settings.js';
import type { ChdbStorageOptions, Storage } from './types.js';

/**
 * Where insert bodies that need not outlive their insert are spooled, under the data path: one
 * directory per process, so a killed process's leftovers are found and removed by the next one.
 */
export const SPOOL_DIR = 'pulse-insert-spool';

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeChunks(file: string, chunks: readonly Buffer[]): void {
  const fd = openSync(file, 'w');
  try {
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
    }
  } finally {
    closeSync(fd);
  }
}

/** More connections than this buy nothing on any machine the embedded engine suits. */
export const MAX_CHDB_CONNECTIONS = 64;

/**
 * Embedded ClickHouse (chDB) in this process. The engine binds one data directory per process,
 * so the embedded launcher shares a single Storage between the aggregator and the query API.
 */
export function createChdbStorage(opts: ChdbStorageOptions): Storage {
  if (typeof opts.path !== 'string' || opts.path === '') {
    throw new ConfigError('path', 'must be a non-empty directory path');
  }
  const connections = opts.connections ?? DEFAULT_CHDB_CONNECTIONS;
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CHDB_CONNECTIONS) {
    throw new ConfigError('connections', `must be an integer from 1 to ${MAX_CHDB_CONNECTIONS}`);
  }
  // chdb types its Connection against @clickhouse/client-common, the client bundles its own copy of
  // the same interface; they differ only nominally (ClickHouseSettings declared twice).
  const pool = new ChdbConnectionPool(
    Array.from({ length: connections }, () => createChdbConnection({ path: opts.path }) as unknown as Connection),
    BASE_SETTINGS,
  );
  const client = createClient({ connection: pool });
  const spoolRoot = join(opts.path, SPOOL_DIR);
  const spool = join(spoolRoot, `${process.pid}-${randomBytes(6).toString('hex')}`);
  let spoolMade = false;
  const makeSpool = (): void => {
    if (spoolMade) return;
    // Called once the engine has answered: the data path is this process's (chDB locks it), so
    // a directory of another process was left by one that died.
    mkdirSync(spoolRoot, { recursive: true });
    for (const name of readdirSync(spoolRoot)) {
      if (!processAlive(Number(name.split('-')[0]))) rmSync(join(spoolRoot, name), { recursive: true, force: true });
    }
    mkdirSync(spool);
    spoolMade = true;
  };
  // Column types per table, for the Native encoder; tables only gain columns (migrations add, never
  // change), and a row key missing here re-reads the table once.
  const tableTypes = new Map<string, Map<string, string>>();
  const readTypes = async (table: string): Promise<Map<string, string>> => {
    const [db, name] = table.includes('.') ? table.split('.') : [undefined, table];
    const rs = await client.query({
      query: `SELECT name, type FROM system.columns WHERE database = ${db === undefined ? 'currentDatabase()' : '{db:String}'} AND table = {name:String}`,
      query_params: db === undefined ? { name } : { db, name },
      format: 'JSONEachRow',
    });
    const types = new Map((await rs.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]));
    tableTypes.set(table, types);
    return types;
  };
  const typesOf = async (table: string, columns: readonly string[]): Promise<NativeColumn[] | undefined> => {
    let types = tableTypes.get(table) ?? (await readTypes(table));
    if (!columns.every((c) => types.has(c))) types = await readTypes(table);
    const known = types;
    return columns.every((c) => known.has(c)) ? columns.map((c) => ({ name: c, type: known.get(c) as string })) : undefined;
  };
  // An insert body handed to the engine inline (chDB's rawInsert, or the SQL text) is read by the
  // statement parser, single-threaded: about a third of the speed of the same bytes read through
  // the file() table function, which uses the format's parallel parser (measured: 50,000 event rows
  // in ~2.0 s inline vs ~0.65 s from a file). The engine shares this process's file system, so the
  // body goes to a spool file. Native (see native.ts) when every column and value allows it, which
  // spares the engine parsing text; JSONCompactEachRow otherwise, read with the insertion table's
  // own structure.
  const encoder = new NativeEncoder();
  const run = (e: JournalEntry) =>
    client.command({
      query: `INSERT INTO ${e.table} (${e.columns.join(', ')}) SELECT * FROM file(${literal(e.data)}, '${e.format}') ${settingsClause(e.settings)}`,
    });
  const interrupted = new InterruptedInserts(new InsertJournal(join(opts.path, JOURNAL_DIR)), {
    rerun: async (e) => {
      await run(e);
    },
    repair: async (e) => {
      if (e.table !== EVENTS_TABLE) {
        throw new StorageError(`an insert into ${e.table} left by a killed process cannot be completed exactly`, { retryable: false });
      }
      try {
        await repairEventsInsert(storage, e, await readTypes(EVENTS_TABLE));
      } catch (err) {
        // The repair can always run again; whatever failed, it stays for the next settle.
        const failure = toStorageError(err, 'repairing an interrupted insert into events');
        throw failure.retryable ? failure : new StorageError(failure.message, { cause: err, retryable: true, clickhouseCode: failure.clickhouseCode });
      }
    },
  });
  const rawInsert: RawInsert = async ({ table, columns, rows, json, settings, durable }) => {
    const types = await typesOf(table, columns);
    // The engine is open (it answered), so the data path is this process's: an earlier process's
    // entries join before this one's body is written next to them.
    if (durable) interrupted.load();
    else makeSpool();
    // Encoded and written with no await in between: the encoder reuses its buffers on the next call.
    const native = types && encoder.encode(rows, types);
    const format: JournalEntry['format'] = native ? 'Native' : 'JSONCompactEachRow';
    const entry: JournalEntry = durable
      ? interrupted.create(table, columns, format, settings)
      : { id: '', data: join(spool, `${randomBytes(8).toString('hex')}.${native ? 'native' : 'jsonl'}`), table, columns, format, settings };
    // Written synchronously (~40–90 ms for a 25 MB batch): the insert is the aggregator's critical
    // path, and an async write's completion waited behind the next batch's preparation on the
    // JavaScript thread for a further ~0.3 s (sixth session: 40.7–42.7k → 45.0–46.6k events/s).
    if (native) writeChunks(entry.data, native);
    else writeFileSync(entry.data, json());
    if (durable) await interrupted.begin(entry);
    try {
      await run(entry);
    } catch (err) {
      // Types read before a table was replaced would fail every retry the same way: re-read them.
      if (native) tableTypes.delete(table);
      if (durable) interrupted.failed(entry, isRetryable(err));
      throw err;
    }
    if (durable) interrupted.succeeded(entry);
    else await unlink(entry.data).catch(() => undefined);
  };
  // Waiting for in-flight engine work lets the same process open another path afterwards.
  const storage = clientStorage('chdb', client, 'statement', {
    onClose: async () => {
      await drainPending();
      rmSync(spool, { recursive: true, force: true });
    },
    rawInsert,
    settle: () => interrupted.settle(),
  });
  return storage;
}
