import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  loadAvg: string;
  /** Share of the machine's CPU time the hypervisor gave to others while the suite ran, when known. */
  steal?: string;
  versions: Record<string, string>;
}

/** The machine's CPU time so far (all cores, clock ticks) and the part of it stolen by the hypervisor. */
export interface CpuTimes {
  steal: number;
  total: number;
}

/**
 * The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal (guest
 * time is already inside user). A virtual machine whose host is busy loses "steal" time: its
 * figures then drop with no change in the code, which a report should say.
 */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  const f = line?.trim().split(/\s+/).slice(1, 9).map(Number);
  if (!f || f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
  return { steal: f[7] as number, total: f.reduce((a, b) => a + b, 0) };
}

export function cpuTimes(): CpuTimes | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Stolen share of the CPU time between two readings, as a percentage. */
export function stealPercent(from: CpuTimes | undefined, to: CpuTimes | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (100 * (to.steal - from.steal)) / (to.total - from.total);
}

/** First line of a command's output, or why it could not run (the report says so rather than guessing). */
export function versionOf(cmd: string, args: readonly string[]): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return out.trim().split('\n')[0] ?? '';
  } catch (err) {
    const e = err as { stdout?: string; code?: string };
    // wrk prints its version with a non-zero exit code.
    if (e.stdout && e.stdout.trim()) return e.stdout.trim().split('\n')[0] ?? '';
    return `not available (${e.code ?? 'failed'})`;
  }
}

export function describeMachine(bunBin: string): Machine {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    loadAvg: loadavg().map((l) => l.toFixed(2)).join(' / '),
    versions: {
      node: process.version,
      bun: versionOf(bunBin, ['--version']),
      'nats-server': versionOf('nats-server', ['--version']),
      wrk: versionOf('wrk', ['--version']),
    },
  };
}
