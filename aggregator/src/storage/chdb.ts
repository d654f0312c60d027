import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { drainPending } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { ConfigError } from '../errors.js';
import { clientStorage, type RawInsert } from './base.js';
import { NativeEncoder, type NativeColumn } from './native.js';
import { BASE_SETTINGS, settingsClause } from './settings.js';
import type { ChdbStorageOptions, Storage } from './types.js';

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

/**
 * Embedded ClickHouse (chDB) in this process. The engine binds one data directory per process,
 * so the embedded launcher shares a single Storage between the aggregator and the query API.
 */
export function createChdbStorage(opts: ChdbStorageOptions): Storage {
  if (typeof opts.path !== 'string' || opts.path === '') {
    throw new ConfigError('path', 'must be a non-empty directory path');
  }
  // chdb types its Connection against @clickhouse/client-common, the client bundles its own copy of
  // the same interface; they differ only nominally (ClickHouseSettings declared twice).
  const chdb = createChdbConnection({ path: opts.path });
  const connection = chdb as unknown as ClickHouseClientConfigOptions['connection'];
  const client = createClient({
    connection,
    clickhouse_settings: BASE_SETTINGS,
  });
  const spool = mkdtempSync(join(tmpdir(), 'pulse-chdb-insert-'));
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
  const rawInsert: RawInsert = async ({ table, columns, rows, json, settings }) => {
    const types = await typesOf(table, columns);
    // Encoded and written with no await in between: the encoder reuses its buffers on the next call.
    const native = types && encoder.encode(rows, types);
    const file = join(spool, `${randomBytes(8).toString('hex')}.${native ? 'native' : 'jsonl'}`);
    // Written synchronously (~40–90 ms for a 25 MB batch): the insert is the aggregator's critical
    // path, and an async write's completion waited behind the next batch's preparation on the
    // JavaScript thread for a further ~0.3 s (sixth session: 40.7–42.7k → 45.0–46.6k events/s).
    if (native) writeChunks(file, native);
    else writeFileSync(file, json());
    try {
      const clause = settingsClause(settings);
      await client.command({
        query: `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM file('${file}', '${native ? 'Native' : 'JSONCompactEachRow'}') ${clause}`,
      });
    } catch (err) {
      // Types read before a table was replaced would fail every retry the same way: re-read them.
      if (native) tableTypes.delete(table);
      throw err;
    } finally {
      await unlink(file).catch(() => undefined);
    }
  };
  // Waiting for in-flight engine work lets the same process open another path afterwards.
  return clientStorage('chdb', client, 'statement', async () => {
    await drainPending();
    rmSync(spool, { recursive: true, force: true });
  }, rawInsert);
}
