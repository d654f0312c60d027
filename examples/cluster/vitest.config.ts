import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Fault scenarios wait for retries, elections and catch-up: generous, not tight.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
