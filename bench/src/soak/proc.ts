import { readFileSync, readdirSync } from 'node:fs';

/** A process of the system under test, found through /proc (Linux). */
export interface Proc {
  pid: number;
  name: string;
}

function stat(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: everything up to the last ')' is pid and comm.
    const close = s.lastIndexOf(')');
    const rest = s.slice(close + 2).split(' ');
    return { ppid: Number(rest[1]), comm: s.slice(s.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

/** Every descendant of `root` (collector, nats-server, ...), by walking /proc once. */
export function descendants(root: number): Proc[] {
  const byParent = new Map<number, Proc[]>();
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (!s) continue;
    const list = byParent.get(s.ppid) ?? [];
    list.push({ pid, name: s.comm });
    byParent.set(s.ppid, list);
  }
  const out: Proc[] = [];
  const walk = (p: number) => {
    for (const c of byParent.get(p) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

/** Resident set size in MiB, or undefined when the process is gone. */
export function rssMbOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
