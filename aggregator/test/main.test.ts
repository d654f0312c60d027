import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '@pulse/testkit';
import { createStorage } from '../src/storage/index.js';
import { fixture, publish, record, waitFor } from './helpers/fixture.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('standalone process (dist/main.js)', () => {
  it('consumes into DATA_DIR/clickhouse, serves /readyz on AGGREGATOR_PORT, drains on SIGTERM with exit 0', async () => {
    expect(existsSync(MAIN), 'run `npx tsup` first').toBe(true);
    const f = await fixture();
    // The child process owns its chDB path; this process must not open the same one.
    await f.storage.close();
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, NATS_URL: f.server.url, DATA_DIR: f.dir.path, AGGREGATOR_PORT: String(port), AGGREGATOR_HOST: '127.0.0.1', CLICKHOUSE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200);
      await publish(f.js, [record({}, 4)]);
      await waitFor('stored', async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^pulse_aggregator_rows_inserted_total 4$/m.test(text);
      });
      // Alone in its process, it exports the process's RSS, CPU and event loop under its own prefix.
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^pulse_aggregator_process_resident_memory_bytes \d+$/m);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const line of out.trim().split('\n')) {
        expect(() => JSON.parse(line), line).not.toThrow();
      }
      // The rows are on disk in DATA_DIR/clickhouse.
      const storage = createStorage({ path: `${f.dir.path}/clickhouse` });
      const [r] = await storage.query<{ n: number }>('SELECT count() AS n FROM events');
      expect(r?.n).toBe(4);
      await storage.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await f.nc.close();
      await f.server.cleanup();
      f.dir.remove();
    }
  });
});
