#!/usr/bin/env node
// `npm test`: typecheck, build, then every package's tests one package at a time. A failing
// package's failures are printed again at the very end, because CI keeps only the tail of a
// 15-minute log and a failure in an early package is otherwise out of sight.
import { spawn, spawnSync } from 'node:child_process';

const MAX_LINES_PER_PACKAGE = 150;

const built = spawnSync('npx', ['turbo', 'run', 'typecheck', 'build'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

/** Lines each package's test task printed, by package name, without colours or turbo's prefix. */
const byPackage = new Map();
let partial = '';
function keep(text) {
  const lines = (partial + text).split('\n');
  partial = lines.pop() ?? '';
  for (const raw of lines) {
    const line = raw.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
    const m = /^(\S+):test: ?(.*)$/.exec(line);
    if (!m) continue;
    const [, pkg = '', rest = ''] = m;
    if (!byPackage.has(pkg)) byPackage.set(pkg, []);
    byPackage.get(pkg).push(rest);
  }
}

/** The "Failed Tests" / "Failed Suites" sections of a vitest run, else the package's last lines. */
function failures(lines) {
  const start = lines.findIndex((l) => /⎯ Failed (Tests|Suites) \d+ ⎯/.test(l));
  if (start < 0) return lines.slice(-40);
  const end = lines.findIndex((l, i) => i > start && /^\s*Test Files\s/.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

// Extra arguments go to the test run: `npm test -- --filter=@pulse/protocol`.
const testArgs = ['turbo', 'run', 'test', '--concurrency=1', '--continue', ...process.argv.slice(2)];
const child = spawn('npx', testArgs, { stdio: ['inherit', 'pipe', 'pipe'] });
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  keep(chunk.toString('utf8'));
});
child.stderr.on('data', (chunk) => process.stderr.write(chunk));
child.on('close', (code) => {
  keep('\n');
  if (code === 0) process.exit(0);
  const failed = [...byPackage].filter(([, lines]) =>
    lines.some((l) => /⎯ Failed (Tests|Suites)|ERR!|exited \(\d+\)|Command failed/.test(l)),
  );
  console.error('\n==== the failures again ====');
  for (const [pkg, lines] of failed) {
    const shown = failures(lines);
    console.error(`\n---- ${pkg} ----`);
    for (const line of shown.slice(0, MAX_LINES_PER_PACKAGE)) console.error(line);
    if (shown.length > MAX_LINES_PER_PACKAGE) console.error(`… ${shown.length - MAX_LINES_PER_PACKAGE} more lines`);
  }
  process.exit(code ?? 1);
});
