import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@pulse/protocol';
import { DataDirBusyError } from './errors.js';
import { exiting, gone, processIdentity, sameProcess, terminate, type ProcessIdentity } from './proc.js';

/** `$DATA_DIR/run/`: a pid file per long-lived child, and one for the process that owns the dir. */
export const RUN_DIR = 'run';
const OWNER = 'owner';
/** How long a child an earlier run left, found on its way out, may take to be gone. */
const EXITING_WAIT_MS = 5_000;

/**
 * A pid file: the pid on the first line (for `kill $(head -n1 nats-server.pid)`), then JSON with
 * what tells that process from a later one with the same pid.
 */
interface PidRecord extends ProcessIdentity {
  pid: number;
  name: string;
  /** Lower stops first when an earlier run's children are cleaned up (collectors before NATS). */
  order: number;
}

function readRecord(file: string): PidRecord | undefined {
  try {
    const [first, second] = readFileSync(file, 'utf8').split('\n');
    const pid = Number(first);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { order: 0, name: '', ...(JSON.parse(second ?? '{}') as Partial<PidRecord>), pid };
  } catch {
    return undefined;
  }
}

function writeRecord(file: string, record: PidRecord): void {
  writeFileSync(file, `${record.pid}\n${JSON.stringify(record)}\n`);
}

export interface RunDir {
  readonly path: string;
  /** Keeps a pid file for a child just spawned (again: a restart overwrites it). */
  record(name: string, child: ChildProcess, order: number): void;
  /** The child has stopped: its pid file goes. */
  forget(name: string): void;
  /** This run is over: the owner file goes (pid files of children still running stay). */
  release(): void;
}

export interface ClaimOptions {
  logger: Logger;
  /** SIGTERM grace for a child an earlier run left behind, before SIGKILL. */
  graceMs?: number;
}

/**
 * Claims `$dataDir/run/` for this process. When a live process owns it, fails with
 * DataDirBusyError; when a run that ended without stopping its children (SIGKILL, a crash) left
 * some running, stops each one whose pid file still names it (same command line and start time),
 * in `order`, and says so; pid files naming anything else are stale and dropped.
 */
export async function claimRunDir(dataDir: string, o: ClaimOptions): Promise<RunDir> {
  const dir = join(dataDir, RUN_DIR);
  mkdirSync(dir, { recursive: true });
  const fileOf = (name: string) => join(dir, `${name}.pid`);

  const owner = readRecord(fileOf(OWNER));
  if (owner) {
    const now = processIdentity(owner.pid);
    if (now && sameProcess(owner, now)) throw new DataDirBusyError(dataDir, owner.pid);
  }

  const children = readdirSync(dir)
    .filter((f) => f.endsWith('.pid') && f !== `${OWNER}.pid`)
    .map((f) => ({ file: join(dir, f), record: readRecord(join(dir, f)) }))
    .sort((a, b) => (a.record?.order ?? 0) - (b.record?.order ?? 0));
  for (const { file, record } of children) {
    let now = record && processIdentity(record.pid);
    if (record && now && exiting(now)) {
      // One that died with the run (its output pipe lost its reader) may be on its way out right
      // now, its ports still bound: the ports are checked next, so wait for it to be gone.
      await gone(record.pid, EXITING_WAIT_MS);
      now = processIdentity(record.pid);
    }
    if (record && now && sameProcess(record, now)) {
      const outcome = await terminate(record.pid, o.graceMs ?? 15_000);
      o.logger.log(outcome === 'survived' ? 'error' : 'warn', `stopped a ${record.name} left running by an earlier run`, {
        name: record.name,
        pid: record.pid,
        outcome,
      });
      if (outcome === 'survived') continue;
    } else if (record && now) {
      o.logger.log('info', 'ignored a stale pid file', { file, pid: record.pid, reason: 'that pid is now another process, or this OS cannot tell' });
    }
    rmSync(file, { force: true });
  }

  // The owner is known by its start time alone: Node rewrites argv[0] and argv[1] as it resolves them.
  writeRecord(fileOf(OWNER), { pid: process.pid, name: OWNER, order: 0, ...startTimeOf(process.pid) });
  let released = false;
  return {
    path: dir,
    record(name, child, order) {
      const pid = child.pid;
      if (pid === undefined) return;
      writeRecord(fileOf(name), { pid, name, order, argv: child.spawnargs, ...startTimeOf(pid) });
    },
    forget(name) {
      rmSync(fileOf(name), { force: true });
    },
    release() {
      // Once: a later claim by this same process (a restart in a test) must keep its owner file.
      if (released) return;
      released = true;
      if (readRecord(fileOf(OWNER))?.pid === process.pid) rmSync(fileOf(OWNER), { force: true });
    },
  };
}

function startTimeOf(pid: number): Pick<ProcessIdentity, 'startTime'> {
  const startTime = processIdentity(pid)?.startTime;
  return startTime === undefined ? {} : { startTime };
}
