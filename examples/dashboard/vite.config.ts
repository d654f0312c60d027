import { defineConfig } from 'vite';

// `base: './'` keeps asset URLs relative, so the build works wherever the query API mounts it.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
});
