import { resolve } from 'node:path';
import type { AdminTokenSource } from './admin-token.js';

/**
 * What the launchers (`npm start`, `npm run cluster`) share between reading their settings and
 * reporting a start that failed. They read the environment in their main.ts; this only turns
 * what was read into words.
 */

/** Where an option's value came from: an environment variable or a CLI flag, and what it said. */
export interface SettingSource {
  /** `ADMIN_TOKEN`, `--collector-runtime`, ... */
  name: string;
  /** As given, to quote back; undefined when unset or secret. */
  raw?: string;
}

/** Option field (`adminToken`, `natsPorts`) → where the launcher took it from. */
export type SettingSources = Record<string, SettingSource>;

/**
 * A path as the user meant it: relative ones against the directory npm was run from (npm sets
 * INIT_CWD; `npm run cluster` runs the script inside the workspace's own folder), else the cwd.
 */
export function resolveFromInvocation(path: string, initCwd: string | undefined, cwd: string): string {
  return resolve(initCwd || cwd, path);
}

/** The banner's admin-token line: the token itself only when this start made it. */
export function adminTokenText(source: AdminTokenSource, token: string, file: string): string {
  if (source === 'generated') return `${token}   (generated; kept in ${file})`;
  if (source === 'file') return `kept in ${file}`;
  return 'the one in ADMIN_TOKEN';
}

interface ErrorWithCode {
  code?: unknown;
  message: string;
  field?: unknown;
  reason?: unknown;
  got?: unknown;
  port?: unknown;
  service?: unknown;
}

/** Errors whose message says all there is to say: no stack trace. */
const ACTIONABLE = new Set(['NATS_SERVER_NOT_FOUND', 'NATS_SERVER_START_FAILED', 'HAPROXY_NOT_FOUND', 'DATA_DIR_BUSY', 'SERVICE_START_FAILED']);

/**
 * One line (no stack trace) for an error a launcher knows, naming the variable or flag behind it,
 * and the exit code: 2 for a bad setting, 1 for the rest. Undefined for anything else: a bug,
 * whose stack trace should be shown.
 */
export function startErrorReport(err: unknown, sources: SettingSources): { line: string; exitCode: 1 | 2 } | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as ErrorWithCode;
  // `natsPorts[1]` was set by NATS_PORTS.
  const source = typeof e.field === 'string' ? sources[e.field.replace(/\[\d+\]$/, '')] : undefined;
  if ((e.code === 'EMBEDDED_CONFIG' || e.code === 'CLUSTER_CONFIG') && typeof e.field === 'string') {
    const reason = typeof e.reason === 'string' ? e.reason : e.message.replace(`${e.field}: `, '');
    if (!source) return { line: `${e.field} ${reason}${typeof e.got === 'string' ? `, got ${e.got}` : ''}`, exitCode: 2 };
    return { line: `${source.name} ${reason}${source.raw === undefined ? '' : ` (it is ${JSON.stringify(source.raw)})`}`, exitCode: 2 };
  }
  if (e.code === 'PORT_IN_USE' && typeof e.port === 'number') {
    const what = source ? `or set ${source.name} to use another port` : `or choose another port (${String(e.field)})`;
    return {
      line: `port ${e.port} (${String(e.service)}) is already in use by another process. Stop that process (find it with: ss -ltnp 'sport = :${e.port}'), ${what}.`,
      exitCode: 1,
    };
  }
  // A variable read with protocol's env-var helpers (EnvVarError: the message starts with its name).
  if (e.code === 'invalid_config' && typeof e.field === 'string' && /^[A-Z][A-Z0-9_]*$/.test(e.field)) return { line: e.message, exitCode: 2 };
  if (typeof e.code === 'string' && ACTIONABLE.has(e.code)) return { line: e.message, exitCode: 1 };
  return undefined;
}
