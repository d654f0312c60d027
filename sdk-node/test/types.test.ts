import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built package (dist/), as an app resolves it through `exports`: `npx tsup` first.
const pkgDir = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
const cases = fileURLToPath(new URL('./types/events.ts', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

let app: string;

beforeAll(() => {
  // An app of its own outside the repository: only what it installs, and no @types/node, since the
  // typings must stand alone. One copy of the cases per module kind: .mts imports, .cts requires.
  app = mkdtempSync(join(tmpdir(), 'pulse-sdk-types-'));
  mkdirSync(join(app, 'node_modules', '@pulse'), { recursive: true });
  symlinkSync(pkgDir, join(app, 'node_modules', '@pulse', 'sdk-node'), 'dir');
  copyFileSync(cases, join(app, 'esm.mts'));
  copyFileSync(cases, join(app, 'cjs.cts'));
  const compilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2023'],
    types: [],
    noEmit: true,
    // The .d.ts files themselves must hold under these settings too.
    skipLibCheck: false,
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['esm.mts', 'cjs.cts'] }));
});

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

function compile(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', app, '--listFiles', '--pretty', 'false'], (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

describe('the published typings under --strict --exactOptionalPropertyTypes', () => {
  it('accept undefined where a value is optional and still refuse real mistakes, as ESM and as CommonJS', async () => {
    const { code, out } = await compile();
    const errors = out.split('\n').filter((l) => l.includes('error TS'));
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    // Both typings were checked, not one of them twice.
    expect(out).toContain(join(pkgDir, 'dist', 'index.d.ts'));
    expect(out).toContain(join(pkgDir, 'dist', 'index.d.cts'));
  });
});
