// The size budget of the script tag, and proof it bundles nothing but src/:
// `node scripts/size-check.mjs` after the build (run by `npm test`).
// Prints every build's raw, gzip and brotli sizes; fails when the core script
// is over budget, or when any bundle input lies outside src/ or is external
// (a `node:` import, say). `--budget N` checks against N bytes instead.
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** The core `script.js`, gzip level 9 (what a CDN serves): 1.5 KiB. */
export const CORE_GZIP_BUDGET = 1536;

export async function measure() {
  const files = (await readdir(dist)).filter((f) => /^script.*\.js$/.test(f)).sort();
  if (!files.includes('script.js')) throw new Error(`no dist/script.js in ${dist}: run the build first`);
  const sizes = [];
  for (const file of files) {
    const code = await readFile(dist + file);
    sizes.push({
      file,
      raw: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
      brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  return sizes;
}

/** Problems with the esbuild metafiles: inputs outside src/, external imports. */
export async function bundleProblems() {
  const problems = [];
  const metas = (await readdir(dist)).filter((f) => f.endsWith('.meta.json'));
  if (metas.length === 0) problems.push('no dist/*.meta.json: run the build first');
  for (const file of metas) {
    const meta = JSON.parse(await readFile(dist + file, 'utf8'));
    for (const [path, input] of Object.entries(meta.inputs)) {
      if (!path.startsWith('src/')) problems.push(`${file}: bundles ${path}, which is not in src/`);
      for (const imp of input.imports) {
        if (imp.path !== '<runtime>' && (imp.external || imp.path.startsWith('node:'))) problems.push(`${file}: ${path} imports ${imp.path}`);
      }
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await measure();
  for (const s of sizes) console.log(`${s.file.padEnd(20)} ${String(s.raw).padStart(6)} B  gzip ${String(s.gzip).padStart(5)} B  brotli ${String(s.brotli).padStart(5)} B`);
  const problems = await bundleProblems();
  const at = process.argv.indexOf('--budget');
  const budget = at > 0 ? Number(process.argv[at + 1]) : CORE_GZIP_BUDGET;
  const core = sizes.find((s) => s.file === 'script.js');
  if (!(core.gzip <= budget)) problems.push(`script.js is ${core.gzip} B gzip, over the ${budget} B budget`);
  for (const p of problems) console.error(`size-check: ${p}`);
  if (problems.length) process.exit(1);
  console.log(`size-check: ok (core ${core.gzip} B gzip, ${core.brotli} B brotli; budget ${budget} B gzip)`);
}
