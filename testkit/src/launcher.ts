import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A launcher (`npm start`, `npm run cluster`) started as a terminal would: its own process group, its output collected. */
export interface Launched {
  child: ChildProcess;
  pid: number;
  stdout: string[];
  stderr(): string;
  /** JSON log lines of stdout. */
  logs(): Array<Record<string, unknown>>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for `n` JSON log lines whose `msg` is `msg` and returns them; fails at once, with the output, should the process exit first. */
  waitForLog(msg: string, n?: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LaunchOptions {
  /** The built entry file, run with this Node. */
  main: string;
  env: Record<string, string>;
  args?: string[];
  cwd: string;
  /** Variables of the test's own environment the launcher must not see (it sees only what the test gives it). */
  unset?: readonly string[];
  /** Default wait of `waitFor`. */
  timeoutMs?: number;
}

export function parseJsonLine(line: string): Array<Record<string, unknown>> {
  try {
    return [JSON.parse(line) as Record<string, unknown>];
  } catch {
    return [];
  }
}

/** Detached, so a test can send the whole group a Ctrl-C (`process.kill(-pid, 'SIGINT')`) as a terminal does. */
export function launchDetached(o: LaunchOptions): Launched {
  const base = { ...process.env };
  for (const k of o.unset ?? []) delete base[k];
  const child = spawn(process.execPath, [o.main, ...(o.args ?? [])], { cwd: o.cwd, env: { ...base, ...o.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  let pending = '';
  child.stdout?.on('data', (b: Buffer) => {
    pending += b.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    stdout.push(...lines.filter(Boolean));
  });
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const text = () => `${stdout.join('\n')}\n${stderr}`;
  return {
    child,
    pid: child.pid as number,
    stdout,
    stderr: () => stderr,
    logs: () => stdout.flatMap(parseJsonLine),
    async waitFor(pattern, timeoutMs = o.timeoutMs ?? 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text())) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`launcher exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${text()}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${text()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitForLog(msg, n = 1, timeoutMs = o.timeoutMs ?? 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = stdout.flatMap(parseJsonLine).filter((e) => e.msg === msg);
        if (found.length >= n) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) with ${found.length} of ${n} "${msg}" lines:\n${text()}`);
        if (Date.now() > deadline) throw new Error(`${found.length} of ${n} "${msg}" lines within ${timeoutMs} ms:\n${text()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    exited,
  };
}

/** Pids recorded in a data dir's run/ folder (what a killed launcher left behind). */
export function recordedPids(dataDir: string): number[] {
  const dir = join(dataDir, 'run');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').split('\n')[0]))
    .filter((p) => Number.isInteger(p) && p > 0);
}

/** Running, and not a zombie waiting for its new parent to reap it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie leader whose other threads still exit holds its ports for a few ms more: alive.
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2)) || readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** After a test: launchers still running (with whatever shares their process groups) and what a failed test left in `dataDir`. */
export function killLeftovers(launched: readonly Launched[], dataDir: string): void {
  for (const l of launched) if (l.child.exitCode === null && l.child.signalCode === null) process.kill(-l.pid, 'SIGKILL');
  for (const pid of recordedPids(dataDir)) if (alive(pid)) process.kill(pid, 'SIGKILL');
}
