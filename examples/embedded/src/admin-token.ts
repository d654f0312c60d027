import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** Where the admin token came from: the caller, the file an earlier start kept, or this start. */
export type AdminTokenSource = 'given' | 'file' | 'generated';

export interface LoadedAdminToken {
  token: string;
  /** True when this start made it (print it). */
  generated: boolean;
  source: AdminTokenSource;
  /** `$dataDir/admin-token`: where a generated token is kept. */
  file: string;
}

/** The given token, else the one kept in the data dir, else a new one kept there (mode 600). */
export function loadAdminToken(dataDir: string, given: string | undefined): LoadedAdminToken {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (given) return { token: given, generated: false, source: 'given', file };
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, generated: false, source: 'file', file };
  }
  const token = `at_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, generated: true, source: 'generated', file };
}
