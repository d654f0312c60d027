import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/codec.ts', 'src/vectors.ts', 'src/streams.ts', 'src/publisher.ts', 'src/starting-server.ts', 'src/usage-share.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
