import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  loadAvg: string;
  versions: Record<string, string>;
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
