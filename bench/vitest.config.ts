import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // chDB binds one data directory per process: each file gets its own worker process.
    pool: 'forks',
    fileParallelism: false,
  },
});
