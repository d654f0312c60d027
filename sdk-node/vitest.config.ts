import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Several tests time retries and timeouts; running files one by one keeps them honest on 2 cores.
    fileParallelism: false,
    server: {
      deps: {
        // The other packages' builds run as Node loads them (import.meta.resolve and all),
        // not through vite's transform.
        external: [/\/(examples\/embedded|aggregator|query-api|edge-collector|testkit)\/dist\//],
      },
    },
  },
});
