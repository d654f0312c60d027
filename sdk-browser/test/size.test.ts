// The size budget of issue 4 as a test: scripts/size-check.mjs on the build.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIST_DIR } from './harness/sink.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../scripts/size-check.mjs', import.meta.url));

async function check(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT, ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('size budget', () => {
  it('keeps the core script tag within 1.5 KiB gzip and reports brotli', async () => {
    const { code, out } = await check();
    expect(out).toMatch(/script\.js\s+\d+ B\s+gzip\s+\d+ B\s+brotli\s+\d+ B/);
    expect(out).toContain('size-check: ok');
    expect(code).toBe(0);
  });

  it('fails when the core script is over budget', async () => {
    const { code, out } = await check('--budget', '1000');
    expect(code).toBe(1);
    expect(out).toMatch(/script\.js is \d+ B gzip, over the 1000 B budget/);
  });

  it('bundles only src/ into every script build: nothing from node: or node_modules', async () => {
    const metas = (await readdir(DIST_DIR)).filter((f) => f.endsWith('.meta.json'));
    expect(metas.sort()).toEqual(['script.full.meta.json', 'script.hash.meta.json', 'script.links.meta.json', 'script.meta.json', 'script.persist.meta.json']);
    for (const file of metas) {
      const meta = JSON.parse(await readFile(DIST_DIR + file, 'utf8')) as { inputs: Record<string, { imports: { path: string }[] }> };
      for (const [path, input] of Object.entries(meta.inputs)) {
        expect(path, file).toMatch(/^src\/[\w-]+\.ts$/);
        for (const imp of input.imports) expect(imp.path, `${file}: ${path}`).toMatch(/^(src\/|<runtime>$)/);
      }
    }
  });

  it('ships no node: import in the ESM build either', async () => {
    const code = await readFile(DIST_DIR + 'index.js', 'utf8');
    expect(code).not.toMatch(/\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(/);
    expect(code).toMatch(/export\s*\{[^}]*\binit\b/);
  });
});
