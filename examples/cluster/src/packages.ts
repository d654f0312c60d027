import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceStartError } from './errors.js';

/**
 * An installed package's folder, found by walking up node_modules as Node does: the collector is
 * ESM-only (no require.resolve) and import.meta.resolve is absent under vitest.
 */
export function packageDir(name: string, from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new ServiceStartError(name, `package ${name} is not installed (run npm ci at the repository root)`);
    dir = parent;
  }
}

/** A built entry of this package; from src/ (vitest) and dist/ alike it is ../dist/<file>. */
export function ownDist(file: string): string {
  const path = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
  if (!existsSync(path)) throw new ServiceStartError('cluster', `${path} is missing: build this package first (npx tsup in examples/cluster)`);
  return path;
}

export function collectorEntry(runtime: 'bun' | 'node'): string {
  const path = join(packageDir('@pulse/edge-collector'), 'dist', runtime === 'bun' ? 'main-bun.js' : 'main-node.js');
  if (!existsSync(path)) throw new ServiceStartError('collector', `${path} is missing: build it first (npx tsup in edge-collector)`);
  return path;
}

/** Bun from the npm package `bun` (a dependency of the workspace). */
export function bunBinary(): string {
  return join(packageDir('bun'), 'bin', 'bun.exe');
}
