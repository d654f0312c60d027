import { createClient } from '@clickhouse/client';
import { ConfigError } from '../errors.js';
import { clientStorage } from './base.js';
import { BASE_SETTINGS, SHARDED_SETTINGS } from './settings.js';
import type { ServerStorageOptions, Storage } from './types.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** A ClickHouse server over HTTP(S). */
export function createServerStorage(opts: ServerStorageOptions): Storage {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new ConfigError('url', `not a URL: ${JSON.stringify(opts.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('url', 'must be an http:// or https:// URL');
  }
  if (opts.sharded !== undefined && typeof opts.sharded !== 'boolean') throw new ConfigError('sharded', 'must be a boolean');
  const client = createClient({
    url: opts.url,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.database !== undefined ? { database: opts.database } : {}),
    request_timeout: DEFAULT_REQUEST_TIMEOUT_MS,
    clickhouse_settings: opts.sharded === true ? { ...BASE_SETTINGS, ...SHARDED_SETTINGS } : BASE_SETTINGS,
  });
  return clientStorage('server', client, 'request', {
    onClose: async () => {},
    // Nothing is left half-done by a client here: a server runs an insert whose body it has
    // received to the end even when the client is gone (it cancels only read-only queries on a
    // closed connection). A server that dies mid-insert is the server's to recover.
    settle: async () => ({ completed: 0, refused: [] }),
  });
}
