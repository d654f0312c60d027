// Builds the script tag variants (IIFE) into dist/: esbuild bundles, drops the
// features a variant leaves out (`define`) and minifies; terser then squeezes
// out about 100 more bytes gzip. Writes dist/<name>.meta.json (esbuild's
// metafile) for scripts/size-check.mjs.
import { build } from 'esbuild';
import { minify } from 'terser';
import { writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const FEATURES = ['PULSE_HASH', 'PULSE_LINKS', 'PULSE_PERSIST', 'PULSE_DNT'];

/** `script.js` is the core; the others add optional features (see README). */
export const SCRIPT_BUILDS = {
  script: [],
  'script.hash': ['PULSE_HASH'],
  'script.links': ['PULSE_LINKS'],
  'script.persist': ['PULSE_PERSIST', 'PULSE_DNT'],
  'script.full': FEATURES,
};

const TERSER = {
  ecma: 2020,
  toplevel: true,
  // keep_fargs: false drops parameters a build never reads, and their arguments
  // (the tracker flags the outbox needs only with the persist feature): nothing
  // here reads a function's length.
  compress: { passes: 3, unsafe: true, unsafe_arrows: true, pure_getters: true, keep_fargs: false },
  mangle: { toplevel: true },
  format: { comments: false },
};

async function buildOne(name, features) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/script.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    metafile: true,
    define: Object.fromEntries(FEATURES.map((f) => [f, String(features.includes(f))])),
    // No "use strict" prologue: the bundle is strict-mode safe and every byte counts.
    tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].text;
  const min = await minify(code, TERSER);
  if (!min.code) throw new Error(`terser produced nothing for ${name}`);
  await writeFile(`${root}dist/${name}.js`, min.code.trimEnd() + '\n');
  await writeFile(`${root}dist/${name}.meta.json`, JSON.stringify(result.metafile, null, 1));
}

await mkdir(`${root}dist`, { recursive: true });
for (const [name, features] of Object.entries(SCRIPT_BUILDS)) await buildOne(name, features);
