import { ConfigError } from '../errors.js';
import { createChdbStorage } from './chdb.js';
import { createServerStorage } from './server.js';
import type { StorageOptions, Storage } from './types.js';

export type { Storage, StorageOptions, ServerStorageOptions, ChdbStorageOptions, ClickHouseSettings } from './types.js';
export { BASE_SETTINGS, SHARDED_SETTINGS } from './settings.js';
export { clickhouseFromEnv, type ClickHouseEnv, type ClickHouseFromEnv } from './env.js';
export { migrate, MIGRATIONS, MIGRATIONS_TABLE, type Migration, type MigrateOptions } from './migrations.js';
export { ROLLUPS, type Rollup } from './schema-rollups.js';
export { EVENTS_TABLE, EVENTS_COLUMNS } from './schema-events.js';
export { ARCHIVE_TABLE } from './schema-archive.js';
export { DEDUP_WINDOW, LOCAL_SUFFIX, SITE_SHARDING_KEY, ddlContext, stepSql, type DdlContext, type DdlOptions, type MigrationStep } from './ddl.js';
export { createChdbStorage } from './chdb.js';
export { createServerStorage, DEFAULT_REQUEST_TIMEOUT_MS } from './server.js';
export { StorageError, MigrationError, ConfigError, AggregatorError } from '../errors.js';

/** `{ url, … }` → a ClickHouse server over HTTP; `{ path }` → embedded chDB in this process. */
export function createStorage(opts: StorageOptions): Storage {
  if (opts === null || typeof opts !== 'object') throw new ConfigError('storage', 'options object required');
  if ('url' in opts && opts.url !== undefined) return createServerStorage(opts);
  if ('path' in opts && opts.path !== undefined) return createChdbStorage(opts);
  throw new ConfigError('storage', 'give either url (ClickHouse server) or path (embedded chDB)');
}
