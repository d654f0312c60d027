export { bunBinary, collectorEntry } from '@pulse/embedded';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ServiceStartError } from './errors.js';

/** A built entry of this package; from src/ (vitest) and dist/ alike it is ../dist/<file>. */
export function ownDist(file: string): string {
  const path = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
  if (!existsSync(path)) throw new ServiceStartError('cluster', `${path} is missing: build this package first (npx tsup in examples/cluster)`);
  return path;
}
