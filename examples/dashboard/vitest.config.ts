import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    // The e2e file starts the whole system and a browser on a shared 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    server: {
      deps: {
        // Other workspace packages run as Node loads them (they use import.meta.resolve, which
        // vitest's module transform does not provide).
        external: [/\/(protocol|testkit|aggregator|query-api|edge-collector|embedded)\/dist\//],
      },
    },
  },
});
