import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceStartError } from './errors.js';
import type { CollectorRuntime } from './options.js';

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

/** The built collector entry for a runtime. */
export function collectorEntry(runtime: CollectorRuntime): string {
  const path = join(packageDir('@pulse/edge-collector'), 'dist', runtime === 'bun' ? 'main-bun.js' : 'main-node.js');
  if (!existsSync(path)) throw new ServiceStartError('collector', `${path} is missing: build it first (npm run build)`);
  return path;
}

/** Bun from the npm package `bun`, unless a binary is given. */
export function bunBinary(explicit?: string): string {
  return explicit ?? join(packageDir('bun'), 'bin', 'bun.exe');
}
