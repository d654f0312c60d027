import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { descendants, rssMbOf } from './proc.js';

it('finds a spawned child and reads RSS; undefined for a pid that is gone', async () => {
  const child = spawn('sleep', ['5']);
  try {
    await new Promise((r) => child.once('spawn', r));
    const found = descendants(process.pid).find((p) => p.pid === child.pid);
    expect(found?.name).toBe('sleep');
    expect(rssMbOf(process.pid)).toBeGreaterThan(10);
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((r) => child.once('exit', r));
  expect(rssMbOf(child.pid as number)).toBeUndefined();
});
