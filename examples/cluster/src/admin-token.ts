import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** The given token, else the one kept in the data dir, else a new one kept there (mode 600). */
export function loadAdminToken(dataDir: string, given: string | undefined): { token: string; generated: boolean } {
  if (given) return { token: given, generated: false };
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, generated: false };
  }
  const token = `at_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, generated: true };
}
