import { readdirSync, readFileSync } from 'node:fs';

/** Every thread of `pid` in the stopped state (the field after the command name in /proc/<pid>/task/<tid>/stat). */
export function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  });
}

/**
 * SIGSTOP: a frozen server (or machine), whose connections stay open and answer nothing. Resolves
 * once the kernel reports every thread stopped: the signal reaches each thread only as it is next
 * interrupted, and a request sent before that may still be answered.
 */
export async function freezeProcess(pid: number, timeoutMs = 15_000): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const until = Date.now() + timeoutMs;
  while (!allThreadsStopped(pid)) {
    if (Date.now() > until) throw new Error(`process ${pid} not stopped within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGCONT: the frozen process runs on. */
export function thawProcess(pid: number): void {
  process.kill(pid, 'SIGCONT');
}
