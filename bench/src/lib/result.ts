import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One measured figure, next to the baseline measured in the same run. */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** The target, as text (e.g. "≥ 200,000"). */
  target?: string;
}

export interface BenchTable {
  title: string;
  figures: Figure[];
}

export interface BenchResult {
  bench: string;
  title: string;
  /** The exact command that produced these figures. */
  command: string;
  /** What the figures depend on (event counts, concurrency, durations). */
  params: Record<string, string | number>;
  tables: BenchTable[];
  /** Verbatim Markdown from a benchmark that renders its own table. */
  raw?: string;
  notes: string[];
  /** Kept in the JSON result only (e.g. the SQL a report ran), for whoever digs into a figure. */
  details?: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
}

export function commandLine(script: string, argv: readonly string[] = process.argv.slice(2)): string {
  return ['node', script, ...argv].join(' ');
}

export function writeResult(path: string | undefined, result: BenchResult): void {
  const text = JSON.stringify(result, null, 2) + '\n';
  if (!path) {
    process.stdout.write(text);
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
