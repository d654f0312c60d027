import { join } from 'node:path';

/** Where the replay CLI sends its replay: a query API's admin endpoints, or undefined (run it here). */
export interface QueryApiTarget {
  url: string;
  token: string;
}

/**
 * QUERY_URL + ADMIN_TOKEN when given. Without them, and with neither NATS_URL nor CLICKHOUSE_URL,
 * this is the embedded default: `npm start` holds the chDB directory, so go through its query API
 * (QUERY_PORT, 8081) with the admin token from ADMIN_TOKEN, else the one it keeps in
 * DATA_DIR/admin-token. (`npm start` writes that file only when it generated the token.)
 */
export function queryApiTarget(
  env: Readonly<Record<string, string | undefined>>,
  readTokenFile: (path: string) => string | undefined,
): QueryApiTarget | undefined {
  if (env.QUERY_URL && env.ADMIN_TOKEN) return { url: env.QUERY_URL, token: env.ADMIN_TOKEN };
  if (env.NATS_URL || env.CLICKHOUSE_URL) return undefined;
  const token = env.ADMIN_TOKEN || readTokenFile(join(env.DATA_DIR || './data', 'admin-token'))?.trim();
  if (!token) return undefined;
  return { url: env.QUERY_URL || `http://127.0.0.1:${env.QUERY_PORT || '8081'}`, token };
}
