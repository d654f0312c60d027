import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, servicePorts } from '@pulse/testkit';
import { bunBinary } from '../src/index.js';
import { exiting, isAlive, processIdentity } from '../src/proc.js';
import { claimRunDir } from '../src/run-dir.js';

/**
 * Listens, then ends its main thread alone (pthread_exit, through Bun's FFI): the state a
 * multi-threaded process dying abruptly passes through, held still. The leader is a zombie; the
 * other threads keep the process's files, the listening socket among them.
 */
const LEADER_EXITS = `
import { dlopen, FFIType } from 'bun:ffi';
import { createServer } from 'node:net';
createServer().listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log('listening');
  dlopen('libc.so.6', { pthread_exit: { args: [FFIType.ptr], returns: FFIType.void } }).symbols.pthread_exit(null);
});
`;

const state = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
};
const bindError = (port: number) =>
  new Promise<string | undefined>((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(undefined)));
  });

/** A LEADER_EXITS process listening on a fresh port, waited for until its leader is a zombie (or 5 s). */
async function leaderExited(prefix: string) {
  const dir = tempDir(prefix);
  const [port] = (await servicePorts(1)) as [number];
  const script = join(dir.path, 'leader-exits.js');
  writeFileSync(script, LEADER_EXITS);
  const child = spawn(bunBinary(), [script], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid as number;
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  const deadline = Date.now() + 5_000;
  while (state(pid) !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { dir, port, child, pid };
}

describe('isAlive', () => {
  it('counts a zombie leader whose threads still hold its port as running, and the process as gone once they end', async () => {
    const { dir, port, child, pid } = await leaderExited('pulse-proc-');
    try {
      expect(state(pid)).toBe('Z');
      // What a launcher checks right after stopping an earlier run's child: it must not be told "gone" yet.
      expect(await bindError(port)).toBe('EADDRINUSE');
      expect(isAlive(pid)).toBe(true);
      // Its command line reads empty: it cannot be told from another process, but is on its way out.
      expect(exiting(processIdentity(pid) ?? {})).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      dir.remove();
    }
    expect(isAlive(pid)).toBe(false);
    expect(await bindError(port)).toBeUndefined();
  });
});

describe('claimRunDir', () => {
  it("waits for an earlier run's child that is on its way out, so the ports checked next are free", async () => {
    const { dir, port, child, pid } = await leaderExited('pulse-proc-claim-');
    const lines: string[] = [];
    const logger = { log: (_level: string, msg: string) => void lines.push(msg) };
    try {
      // An earlier run's pid file for it, as the launcher writes them.
      (await claimRunDir(join(dir.path, 'data'), { logger })).release();
      writeFileSync(join(dir.path, 'data', 'run', 'nats-n1.pid'), `${pid}\n${JSON.stringify({ pid, name: 'nats-n1', order: 9, argv: child.spawnargs })}\n`);
      const claimed = claimRunDir(join(dir.path, 'data'), { logger });
      // Its last threads end a moment later (as a dying nats-server's do).
      setTimeout(() => child.kill('SIGKILL'), 300);
      (await claimed).release();
      expect(await bindError(port)).toBeUndefined();
      expect(lines).not.toContain('ignored a stale pid file');
    } finally {
      child.kill('SIGKILL');
      dir.remove();
    }
  });
});
