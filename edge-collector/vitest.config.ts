import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Collectors and nats-servers are real processes; two files at a time is what 2 cores take.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
