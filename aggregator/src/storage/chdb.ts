import { createClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { drainPending } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { ConfigError } from '../errors.js';
import { clientStorage, type RawInsert } from './base.js';
import { BASE_SETTINGS } from './settings.js';
import type { ChdbStorageOptions, Storage } from './types.js';

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
  const rawInsert: RawInsert = async ({ table, columns, body, settings }) => {
    await chdb.chdb.rawInsert({ table, columns, values: body, format: 'JSONCompactEachRow', settings });
  };
  // Waiting for in-flight engine work lets the same process open another path afterwards.
  return clientStorage('chdb', client, 'statement', () => drainPending(), rawInsert);
}
