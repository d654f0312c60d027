// Runs every benchmark of the project, each in its own process writing its own result, then
// writes its part of docs/BENCHMARKS.md (the rest of the file is kept): per benchmark each figure next to its same-run baseline and the
// ratio, the machine, the date and the exact command. Progress goes to stderr.
// node bench/dist/run-all.js [--events 10000000] [--aggregator-events 1000000] [--seconds 10]
//   [--collector-duration 15s] [--sdk-events 1000000] [--only collector,sdk-node,aggregator,query,e2e]
//   [--report docs/BENCHMARKS.md] [--results artifacts/bench]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkKnown, numberArg, parseArgs, stringArg } from './lib/args.js';
import { BenchConfigError, BenchFailedError } from './lib/errors.js';
import { collectorTables, jsonLines, sdkTables } from './lib/external.js';
import { cpuTimes, describeMachine, stealPercent } from './lib/machine.js';
import { renderReport, spliceReport } from './lib/markdown.js';
import { progress } from './lib/progress.js';
import type { BenchResult } from './lib/result.js';

export const BENCHES = ['collector', 'sdk-node', 'aggregator', 'query', 'e2e'] as const;
/** Defaults that finish in about 20 minutes on 2 cores; the full sizes are options. */
export const DEFAULT_QUERY_EVENTS = 10_000_000;
export const DEFAULT_AGGREGATOR_EVENTS = 1_000_000;
export const DEFAULT_E2E_SECONDS = 10;
export const DEFAULT_SDK_EVENTS = 1_000_000;
export const DEFAULT_COLLECTOR_DURATION = '15s';
/** The collector's latency is also measured at this fraction of each target's maximum rate. */
export const COLLECTOR_PACED = 0.8;
type Bench = (typeof BENCHES)[number];

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = parseArgs(process.argv.slice(2));
checkKnown(args, ['events', 'aggregator-events', 'seconds', 'collector-duration', 'sdk-events', 'only', 'report', 'results']);
const events = numberArg(args, 'events', DEFAULT_QUERY_EVENTS, { min: 1000 });
const aggEvents = numberArg(args, 'aggregator-events', DEFAULT_AGGREGATOR_EVENTS, { min: 1000 });
const seconds = numberArg(args, 'seconds', DEFAULT_E2E_SECONDS, { min: 1 });
const sdkEvents = numberArg(args, 'sdk-events', DEFAULT_SDK_EVENTS, { min: 1000 });
const collectorDuration = stringArg(args, 'collector-duration', DEFAULT_COLLECTOR_DURATION);
if (!/^\d+[smh]?$/.test(collectorDuration)) throw new BenchConfigError('--collector-duration', `expected wrk's duration syntax like 15s, got "${collectorDuration}"`);
const only = stringArg(args, 'only', BENCHES.join(',')).split(',') as Bench[];
for (const b of only) if (!BENCHES.includes(b)) throw new BenchConfigError('--only', `unknown benchmark "${b}" (known: ${BENCHES.join(', ')})`);
const reportPath = resolve(root, stringArg(args, 'report', 'docs/BENCHMARKS.md'));
const resultsDir = resolve(root, stringArg(args, 'results', 'artifacts/bench'));
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const log = (m: string) => progress('bench', m);
mkdirSync(resultsDir, { recursive: true });

/** Runs a script, streaming its stderr to ours (its progress) and keeping both outputs. */
function run(cmd: string, argv: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(d);
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code, signal) => (code === 0 ? resolve({ stdout, stderr }) : reject(new BenchFailedError(`${cmd} ${argv.join(' ')} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`)))),
  );
}

async function ours(bench: 'aggregator' | 'query' | 'e2e', argv: string[]): Promise<BenchResult> {
  const out = join(resultsDir, `${bench}.json`);
  // Relative paths from the repository root, so the report's commands can be pasted as they are.
  await run(process.execPath, [`bench/dist/${bench}.js`, ...argv, '--out', relative(root, out)], root);
  return JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
}

async function collector(): Promise<BenchResult> {
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const out = join(resultsDir, 'collector.md');
  // --paced: after each saturating run, one at 80 % of that rate, for the latency target.
  const argv = ['bench/run.mjs', '--duration', collectorDuration, '--paced', String(COLLECTOR_PACED), '--out', out];
  const { stderr } = await run(process.execPath, argv, join(root, 'edge-collector'));
  const rows = jsonLines(stderr).filter((r) => 'target' in r && 'scenario' in r);
  writeFileSync(join(resultsDir, 'collector.json'), JSON.stringify(rows, null, 2) + '\n');
  return {
    bench: 'collector',
    title: 'Edge collector (wrk, nats-server on the same machine)',
    command: `npm run bench -w @pulse/edge-collector -- --duration ${collectorDuration} --paced ${COLLECTOR_PACED} --out ${relative(root, out)}`,
    params: { duration: collectorDuration },
    tables: collectorTables(rows),
    raw: readFileSync(out, 'utf8'),
    notes: ['Baselines: a node:http collector doing the same decode, validate and publish work, and a bare server that reads the body and answers (the ceiling of this machine).'],
    startedAt,
    durationMs: Date.now() - t0,
  };
}

async function sdk(): Promise<BenchResult> {
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const { stdout, stderr } = await run(process.execPath, ['bench/run.mjs', String(sdkEvents)], join(root, 'sdk-node'));
  const rows = jsonLines(stderr).filter((r) => 'sdk' in r);
  writeFileSync(join(resultsDir, 'sdk-node.json'), JSON.stringify(rows, null, 2) + '\n');
  return {
    bench: 'sdk-node',
    title: 'Node SDK against @segment/analytics-node and posthog-node (local sink)',
    command: `npm run bench -w @pulse/sdk-node -- ${sdkEvents}`,
    params: { 'events per SDK': sdkEvents },
    tables: sdkTables(rows),
    raw: stdout,
    notes: [],
    startedAt,
    durationMs: Date.now() - t0,
  };
}

const load = loadavg()[0] ?? 0;
if (load > cpus().length * 0.5) log(`warning: load average ${load.toFixed(2)} on ${cpus().length} cores — figures from a busy machine are not representative`);
const machine = describeMachine(join(root, 'node_modules/.bin/bun'));
for (const pkg of ['chdb', '@clickhouse/client', 'nats']) {
  try {
    machine.versions[`${pkg} (npm)`] = (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    machine.versions[`${pkg} (npm)`] = 'not installed';
  }
}
const date = new Date().toISOString();
const steps: Record<Bench, () => Promise<BenchResult>> = {
  collector,
  'sdk-node': sdk,
  aggregator: () => ours('aggregator', ['--events', String(aggEvents)]),
  query: () => ours('query', ['--events', String(events)]),
  e2e: () => ours('e2e', ['--seconds', String(seconds)]),
};
const results: BenchResult[] = [];
const failures: { bench: string; error: string }[] = [];
const suiteStart = cpuTimes();
const stealNote = (pct: number) => `${pct.toFixed(1)} % of the machine's CPU time`;
for (const b of BENCHES.filter((x) => only.includes(x))) {
  log(`── ${b} ──`);
  try {
    const before = cpuTimes();
    const result = await steps[b]();
    const stolen = stealPercent(before, cpuTimes());
    if (stolen !== undefined) result.notes.push(`CPU time stolen by the hypervisor (virtual machine) during this benchmark: ${stealNote(stolen)}.`);
    results.push(result);
    log(`${b}: done`);
  } catch (err) {
    failures.push({ bench: b, error: (err as Error).message });
    log(`${b}: FAILED: ${(err as Error).message}`);
  }
}
const suiteStolen = stealPercent(suiteStart, cpuTimes());
if (suiteStolen !== undefined) machine.steal = stealNote(suiteStolen);
mkdirSync(dirname(reportPath), { recursive: true });
const previous = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : undefined;
writeFileSync(reportPath, spliceReport(previous, renderReport({ results, failures, machine, command, date })));
log(`wrote ${relative(root, reportPath)} (${results.length} benchmarks, ${failures.length} failed); results in ${relative(root, resultsDir)}`);
if (failures.length) process.exitCode = 1;
