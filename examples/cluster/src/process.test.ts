import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort, tempDir } from '@pulse/testkit';
import { ServiceStartError } from './errors.js';
import { createServiceProcess } from './process.js';

// A tiny service: ready on /readyz, exits 0 on SIGTERM, like ours.
const SERVICE = `
const http = require('node:http');
const s = http.createServer((q, r) => { r.writeHead(q.url === '/readyz' ? 200 : 404); r.end(); });
s.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ msg: 'up' })));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

describe('createServiceProcess', () => {
  it('starts, waits for readiness, stops with SIGTERM (exit 0), survives SIGKILL and restarts', async () => {
    const dir = tempDir('pulse-proc-');
    const port = await freePort();
    const svc = createServiceProcess({
      name: 'demo',
      cmd: process.execPath,
      args: ['-e', SERVICE],
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      logFile: join(dir.path, 'demo.log'),
      readyTimeoutMs: 10_000,
      stopGraceMs: 5_000,
    });
    try {
      await svc.start();
      expect(svc.running()).toBe(true);
      expect(await svc.stop()).toBe(0);
      expect(svc.running()).toBe(false);
      await svc.start();
      await svc.kill();
      expect(svc.running()).toBe(false);
      await svc.start();
      svc.pause();
      // A paused process still stops: SIGCONT goes before SIGTERM.
      expect(await svc.stop()).toBe(0);
    } finally {
      await svc.kill();
      dir.remove();
    }
  });

  it('runs detached in a process group of its own when asked, and reports every spawn', async () => {
    const dir = tempDir('pulse-proc-');
    const port = await freePort();
    const spawned: number[] = [];
    const svc = createServiceProcess({
      name: 'grouped',
      cmd: process.execPath,
      args: ['-e', SERVICE],
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      logFile: join(dir.path, 'grouped.log'),
      readyTimeoutMs: 10_000,
      stopGraceMs: 5_000,
      detached: true,
      onSpawn: (child) => spawned.push(child.pid as number),
    });
    try {
      await svc.start();
      const stat = readFileSync(`/proc/${svc.pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      expect(pgid).toBe(svc.pid);
      expect(await svc.stop()).toBe(0);
      await svc.start();
      expect(spawned).toEqual([spawned[0], svc.pid]);
    } finally {
      await svc.kill();
      dir.remove();
    }
  });

  it('reports a process that dies before it is ready, with its last output', async () => {
    const dir = tempDir('pulse-proc-');
    const svc = createServiceProcess({
      name: 'broken',
      cmd: process.execPath,
      args: ['-e', 'console.error("no config"); process.exit(3)'],
      readyUrl: 'http://127.0.0.1:9/readyz',
      logFile: join(dir.path, 'broken.log'),
      readyTimeoutMs: 10_000,
      stopGraceMs: 1_000,
    });
    const err = await svc.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect(String(err)).toMatch(/exited \(3\)[\s\S]*no config/);
    dir.remove();
  });

  it('gives up when the service never becomes ready', async () => {
    const dir = tempDir('pulse-proc-');
    const port = await freePort();
    const blocker = createServer((_q, r) => r.writeHead(503).end()).listen(port, '127.0.0.1');
    const svc = createServiceProcess({
      name: 'slow',
      cmd: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      logFile: join(dir.path, 'slow.log'),
      readyTimeoutMs: 1_000,
      stopGraceMs: 1_000,
    });
    await expect(svc.start()).rejects.toThrow(/not ready/);
    expect(svc.running()).toBe(false);
    blocker.close();
    dir.remove();
  });
});
