import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'node',
  // The protocol's limits are inlined so the published SDK depends on msgpackr alone.
  noExternal: ['@pulse/protocol'],
});
