import { join, resolve } from 'node:path';
import { DEFAULT_QUERY_PORT } from '@pulse/protocol';
import { NotQueryApiError, QueryApiUnreachableError, ReplayTargetError } from '../errors.js';

/** Where the replay CLI runs its replay: through a query API's admin endpoints, or here, directly. */
export type ReplayTarget = QueryApiTarget | DirectTarget;

export interface QueryApiTarget {
  kind: 'query-api';
  url: string;
  token: string;
  /** What chose the URL: QUERY_URL, or QUERY_PORT (or its default) for the embedded default's. */
  urlFrom: 'QUERY_URL' | 'QUERY_PORT';
  /** Where the token came from: "ADMIN_TOKEN" or the token file's absolute path. */
  tokenFrom: string;
}

export interface DirectTarget {
  kind: 'direct';
  /** NATS_URL, split at commas. */
  natsServers: string[];
}

/** The ways to reach the data, as `--help` and the "no way to reach the data" error list them. */
export const REPLAY_TARGETS_HELP = `How it reaches the data (the first that applies):
  1. QUERY_URL + ADMIN_TOKEN: through that query API's admin endpoints.
  2. NATS_URL: directly, in this process, with NATS_URL and CLICKHOUSE_URL, or chDB in
     $DATA_DIR/clickhouse when no service has it open (a running \`npm start\` does: use 1 or 3).
  3. Through a running \`npm start\` (the embedded default): http://127.0.0.1:$QUERY_PORT (8081),
     or QUERY_URL, with ADMIN_TOKEN or the token \`npm start\` generated in $DATA_DIR/admin-token
     (DATA_DIR ./data). Give the replay the QUERY_PORT, DATA_DIR and ADMIN_TOKEN \`npm start\` has.
  Otherwise it stops with exit code 2: it never guesses a NATS server or a data directory.`;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Decides from the environment: QUERY_URL + ADMIN_TOKEN; else NATS_URL (direct); else the query API
 * of `npm start` (QUERY_URL, or 127.0.0.1:QUERY_PORT) with ADMIN_TOKEN or the token it keeps in
 * DATA_DIR/admin-token (`npm start` writes that file only when it generated the token). With none
 * of them, a ReplayTargetError that says what is missing: never an implicit direct replay against
 * a default NATS URL, which could be an unrelated server.
 */
export function replayTarget(env: Env, readTokenFile: (path: string) => string | undefined): ReplayTarget {
  if (env.QUERY_URL && env.ADMIN_TOKEN) return { kind: 'query-api', url: env.QUERY_URL, token: env.ADMIN_TOKEN, urlFrom: 'QUERY_URL', tokenFrom: 'ADMIN_TOKEN' };
  if (env.NATS_URL) return { kind: 'direct', natsServers: natsServers(env.NATS_URL) };
  const dataDir = env.DATA_DIR || './data';
  const tokenFile = resolve(dataDir, 'admin-token');
  const fromFile = env.ADMIN_TOKEN ? undefined : readTokenFile(join(dataDir, 'admin-token'))?.trim();
  const token = env.ADMIN_TOKEN || fromFile;
  if (token) {
    return {
      kind: 'query-api',
      url: env.QUERY_URL || `http://127.0.0.1:${env.QUERY_PORT || DEFAULT_QUERY_PORT}`,
      token,
      urlFrom: env.QUERY_URL ? 'QUERY_URL' : 'QUERY_PORT',
      tokenFrom: env.ADMIN_TOKEN ? 'ADMIN_TOKEN' : tokenFile,
    };
  }
  const noToken =
    `${env.QUERY_URL ? 'QUERY_URL is set, but ' : ''}ADMIN_TOKEN is not set and there is no admin token in ${tokenFile}` +
    ' (`npm start` keeps one there only when it generated it: if it runs with ADMIN_TOKEN, set the same ADMIN_TOKEN here; if with another DATA_DIR, set that DATA_DIR)';
  const noNats = `NATS_URL is not set, which a direct replay needs${env.CLICKHOUSE_URL ? ' (CLICKHOUSE_URL alone is not enough)' : ''}`;
  throw new ReplayTargetError('no_replay_target', `found no way to reach the data: ${noToken}; and ${noNats}.`);
}

function natsServers(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The query API at `target.url` did not answer at all: name it, and what to check. */
export function queryApiUnreachable(target: QueryApiTarget, cause: unknown): QueryApiUnreachableError {
  const hint =
    target.urlFrom === 'QUERY_URL'
      ? 'is the query API running there? Check QUERY_URL.'
      : `is \`npm start\` running? If it runs with its own QUERY_PORT, set the same QUERY_PORT here (or QUERY_URL to its query API's address).`;
  return new QueryApiUnreachableError(target.url, `could not reach the query API at ${target.url} (${reason(cause)}): ${hint}`, { cause });
}

/**
 * Something answered at `target.url`, but not as the query API (`evidence` says what it answered):
 * typically QUERY_PORT set to the collector's port, whose bare 404 alone would say nothing.
 */
export function notQueryApi(target: QueryApiTarget, o: { evidence: string; collectorLike: boolean }): NotQueryApiError {
  const what = o.collectorLike ? "looks like Pulse's collector, not its query API" : "does not look like Pulse's query API";
  const hint =
    target.urlFrom === 'QUERY_URL'
      ? "set QUERY_URL to the query API's address"
      : `the URL comes from QUERY_PORT (${DEFAULT_QUERY_PORT} when unset): set QUERY_PORT to the port \`npm start\` serves the query API on (not COLLECTOR_PORT, the collector's), or QUERY_URL to the query API's address`;
  return new NotQueryApiError(target.url, `${target.url} ${what} (${o.evidence}): ${hint}`);
}

/** What to check when the query API refused the admin token. */
export function tokenHint(target: QueryApiTarget): string {
  return target.tokenFrom === 'ADMIN_TOKEN'
    ? 'check ADMIN_TOKEN: it must be the admin token the query API runs with'
    : `the admin token came from ${target.tokenFrom}: if \`npm start\` runs with its own ADMIN_TOKEN, set the same ADMIN_TOKEN here`;
}

/** fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in its cause. */
export function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
