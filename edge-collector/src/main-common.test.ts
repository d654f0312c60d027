import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBrowserScripts } from './main-common.js';

describe('loadBrowserScripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-scripts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['script.js', 'script.full.js', 'script.links.js', 'script.meta.json', 'index.js']) writeFileSync(join(dir, name), name);
  const text = (m: Map<string, Uint8Array>) => Object.fromEntries([...m].map(([k, v]) => [k, new TextDecoder().decode(v)]));

  it("serves the SDK's build with its variants, and nothing else from that folder", () => {
    expect(text(loadBrowserScripts(undefined, join(dir, 'script.js')))).toEqual({
      'script.js': 'script.js',
      'script.full.js': 'script.full.js',
      'script.links.js': 'script.links.js',
    });
  });

  it('serves an explicit file as script.js alone', () => {
    expect(text(loadBrowserScripts(join(dir, 'script.full.js'), join(dir, 'script.js')))).toEqual({ 'script.js': 'script.full.js' });
  });

  it('serves nothing without a build', () => {
    expect(loadBrowserScripts(undefined, undefined).size).toBe(0);
  });
});
