import { defineConfig } from 'tsup';

// One entry per benchmark process: run-all spawns each as its own process (chDB binds one data
// directory per process, and a fresh process keeps one benchmark's memory out of the next).
export default defineConfig({
  entry: {
    'run-all': 'src/run-all.ts',
    aggregator: 'src/aggregator/main.ts',
    'aggregator-publisher': 'src/aggregator/publisher-worker.ts',
    query: 'src/query/main.ts',
    'query-server': 'src/query/server.ts',
    e2e: 'src/e2e/main.ts',
    'e2e-sender': 'src/e2e/sender.ts',
    campaign: 'src/campaign/main.ts',
    soak: 'src/soak/main.ts',
    'soak-sender': 'src/soak/sender.ts',
    'soak-render': 'src/soak/render.ts',
  },
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
