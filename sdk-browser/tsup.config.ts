import { defineConfig } from 'tsup';

// The ESM build for bundlers, every optional feature on. The script tag builds
// (IIFE, esbuild + terser) come from scripts/build-scripts.mjs, run once this
// succeeds, so a plain `npx tsup` builds everything.
const ALL_FEATURES = { PULSE_HASH: 'true', PULSE_LINKS: 'true', PULSE_PERSIST: 'true', PULSE_DNT: 'true' };

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  platform: 'browser',
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2020',
  define: ALL_FEATURES,
  onSuccess: 'node scripts/build-scripts.mjs',
});
