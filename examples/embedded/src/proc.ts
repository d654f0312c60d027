import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Who a process is, as far as this OS tells: its command line and its start time, which together
 * tell a process from a later one that got the same pid. Linux: /proc; elsewhere `ps` (macOS, the
 * BSDs); where neither answers, nothing (the caller then acts on nothing it cannot verify).
 */
export interface ProcessIdentity {
  /** argv as the process was exec'd with (Linux); undefined where only `command` is known. */
  argv?: string[];
  /** argv joined with spaces, as `ps -o command=` shows it. */
  command?: string;
  /** Opaque; equal for the same process, different for a later one with the same pid. */
  startTime?: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

/** /proc/<pid>/stat fields after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function ps(pid: number, field: string): string | undefined {
  try {
    const out = execFileSync('ps', ['-p', String(pid), '-o', `${field}=`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** Threads of `pid` still listed, its leader included; 0 when /proc does not have it. */
function threadCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

/**
 * True while `pid` runs: signal 0 reaches it and it is not a zombie waiting to be reaped. A
 * zombie leader whose other threads are still exiting counts as running: a multi-threaded process
 * that dies abruptly (nats-server killed by SIGPIPE once the launcher that read its output is gone)
 * shows its leader as a zombie while those threads still hold its files, its listening ports among
 * them, for a few milliseconds.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, but another user's.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  const fields = statFields(pid);
  if (fields === undefined) return false;
  return (fields[0] !== 'Z' && fields[0] !== 'X') || threadCount(pid) > 1;
}

/** The identity of a running process; undefined when it is not running. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!isAlive(pid)) return undefined;
  if (HAS_PROC) {
    // Field 22 of stat (starttime, in clock ticks since boot); index 19 after the state field.
    const startTime = statFields(pid)?.[19];
    let argv: string[] | undefined;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
    } catch {
      argv = undefined;
    }
    return { ...(argv ? { argv, command: argv.join(' ') } : {}), ...(startTime ? { startTime } : {}) };
  }
  const command = ps(pid, 'command');
  const startTime = ps(pid, 'lstart');
  return { ...(command ? { command } : {}), ...(startTime ? { startTime } : {}) };
}

/**
 * A process whose main thread has exited while its other threads are still going (a Go program,
 * say, on its way out): alive to `isAlive`, but its command line reads empty, so it cannot be
 * told from another process, and it still holds its ports until its last thread is gone.
 */
export function exiting(now: ProcessIdentity): boolean {
  return now.argv !== undefined && now.argv.length === 0;
}

/**
 * Whether a running process is the one recorded earlier: same start time where both are known,
 * same command line where both are known, and at least one of them known.
 */
export function sameProcess(recorded: ProcessIdentity, now: ProcessIdentity): boolean {
  let checked = false;
  if (recorded.startTime !== undefined && now.startTime !== undefined) {
    if (recorded.startTime !== now.startTime) return false;
    checked = true;
  }
  if (recorded.argv && now.argv) {
    if (recorded.argv.length !== now.argv.length || recorded.argv.some((a, i) => a !== now.argv?.[i])) return false;
    checked = true;
  } else if (recorded.argv && now.command !== undefined) {
    if (recorded.argv.join(' ') !== now.command) return false;
    checked = true;
  }
  return checked;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves true once `pid` is gone (or a zombie), false after `ms`. */
export async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
export async function terminate(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'survived'> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  // A frozen (SIGSTOP) process cannot act on SIGTERM.
  signal('SIGCONT');
  signal('SIGTERM');
  if (await gone(pid, graceMs)) return 'stopped';
  signal('SIGKILL');
  return (await gone(pid, 5_000)) ? 'killed' : 'survived';
}
