import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allThreadsStopped, freezeProcess, thawProcess } from './freeze.js';

describe('freezeProcess', () => {
  it('resolves once every thread is stopped; thawProcess lets it run on', async () => {
    // A process with several threads: a second node.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      await freezeProcess(pid);
      expect(allThreadsStopped(pid)).toBe(true);
      thawProcess(pid);
      const until = Date.now() + 5_000;
      while (allThreadsStopped(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(allThreadsStopped(pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
