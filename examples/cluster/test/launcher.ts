import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder: where `npm run cluster` (root) runs the launcher, through `npm run -w`. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * `node dist/main.js` as a terminal would run it: its own process group (so a test can send the
 * group a Ctrl-C), its output collected.
 */
export interface Launched {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  /** JSON log lines of stdout. */
  logs(): Array<Record<string, unknown>>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const OWN_VARS = ['DATA_DIR', 'ADMIN_TOKEN', 'COLLECTOR_RUNTIME', 'COLLECTOR_PORT', 'LB_PORT', 'INIT_CWD', 'NATS_SERVER_BIN', 'HAPROXY_BIN'];

export function launch(env: Record<string, string>, cwd = PACKAGE_DIR): Launched {
  const base = { ...process.env };
  // A launcher under test sees only what the test gives it.
  for (const k of OWN_VARS) delete base[k];
  const child = spawn(process.execPath, [MAIN], { cwd, env: { ...base, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    stderr: () => stderr,
    logs: () => stdout.flatMap((l) => parseJson(l)),
    async waitFor(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text())) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`launcher exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${text()}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${text()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    exited,
  };
}

function parseJson(line: string): Array<Record<string, unknown>> {
  try {
    return [JSON.parse(line) as Record<string, unknown>];
  } catch {
    return [];
  }
}

/** Error-level JSON lines in the services' own logs ($DATA_DIR/logs/*.log). */
export function serviceErrors(dataDir: string): Array<Record<string, unknown>> {
  const dir = join(dataDir, 'logs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').flatMap((l) => parseJson(l).map((e): Record<string, unknown> => ({ file: f, ...e }))))
    .filter((e) => e.level === 'error');
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
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
