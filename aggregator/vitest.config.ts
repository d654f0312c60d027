import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // chDB binds one data directory per process and nats-servers are heavy: keep files in
    // separate processes and do not run many at once on the shared 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
  },
});
