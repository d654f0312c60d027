import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '@pulse/testkit';
import { claimRunDir, DataDirBusyError } from '../src/index.js';
import { alive } from './launcher.js';

const IDLE = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0))';

describe('claimRunDir', () => {
  let dir: TempDir | undefined;
  const children: ChildProcess[] = [];
  const entries: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const logger = { log: (level: string, msg: string, fields?: Record<string, unknown>) => void entries.push({ level, msg, ...(fields ? { fields } : {}) }) };
  const idle = () => {
    const c = spawn(process.execPath, ['-e', IDLE], { stdio: 'ignore' });
    children.push(c);
    return c;
  };

  afterEach(() => {
    for (const c of children) c.kill('SIGKILL');
    children.length = 0;
    entries.length = 0;
    dir?.remove();
  });

  it('refuses a data dir that a live run owns, and hands it over once released', async () => {
    dir = tempDir('pulse-run-');
    const first = await claimRunDir(dir.path, { logger });
    const err = await claimRunDir(dir.path, { logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirBusyError);
    expect(String(err)).toContain(`pid ${process.pid}`);
    first.release();
    const second = await claimRunDir(dir.path, { logger });
    // A late second release of the first claim leaves the second one in place.
    first.release();
    expect(await claimRunDir(dir.path, { logger }).catch((e: unknown) => e)).toBeInstanceOf(DataDirBusyError);
    second.release();
  });

  it('stops a child an ended run left running, in order, and says so', async () => {
    dir = tempDir('pulse-run-');
    const run = await claimRunDir(dir.path, { logger });
    const late = idle();
    const early = idle();
    run.record('late', late, 9);
    run.record('early', early, 1);
    // The run ends without stopping its children, as after a SIGKILL.
    run.release();
    (await claimRunDir(dir.path, { logger, graceMs: 5_000 })).release();
    const stopped = entries.filter((e) => e.msg.endsWith('left running by an earlier run'));
    expect(stopped.map((e) => [e.level, e.fields?.name, e.fields?.outcome])).toEqual([
      ['warn', 'early', 'stopped'],
      ['warn', 'late', 'stopped'],
    ]);
    expect(alive(late.pid as number)).toBe(false);
    expect(alive(early.pid as number)).toBe(false);
    expect(readdirSync(join(dir.path, 'run'))).toEqual([]);
  });

  it('leaves alone a process whose pid a stale file names but that is not the one recorded', async () => {
    dir = tempDir('pulse-run-');
    const stranger = idle();
    const runDir = join(dir.path, 'run');
    (await claimRunDir(dir.path, { logger })).release();
    // The pid is alive, but it is not a nats-server with our config: a reused pid.
    const record = { pid: stranger.pid, name: 'nats-server', order: 9, argv: ['/usr/sbin/nats-server', '-c', join(dir.path, 'nats', 'nats-server.conf')] };
    writeFileSync(join(runDir, 'nats-server.pid'), `${stranger.pid}\n${JSON.stringify(record)}\n`);
    // And one whose process is gone.
    writeFileSync(join(runDir, 'collector.pid'), `999999999\n{"name":"collector","order":1}\n`);
    (await claimRunDir(dir.path, { logger })).release();
    expect(alive(stranger.pid as number)).toBe(true);
    expect(entries.map((e) => e.msg)).toEqual(['ignored a stale pid file']);
    expect(existsSync(join(runDir, 'nats-server.pid'))).toBe(false);
    expect(existsSync(join(runDir, 'collector.pid'))).toBe(false);
  });
});
