// The bad-input campaign against the embedded system (see README "Bad-input campaign").
// node bench/dist/campaign.js [--requests 100000] [--concurrency 16] [--runtime bun|node] [--seed N]
//   [--valid-rate 200] [--slow-clients 8] [--out artifacts/campaign/summary.json] [--markdown artifacts/campaign/campaign.md]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CollectorRuntime } from '@pulse/embedded';
import { checkKnown, numberArg, parseArgs, stringArg } from '../lib/args.js';
import { BenchConfigError } from '../lib/errors.js';
import { progress } from '../lib/progress.js';
import { commandLine } from '../lib/result.js';
import { benchDir } from '../lib/temp.js';
import { startSystem } from '../lib/embedded.js';
import { renderCampaign } from './report.js';
import { DEFAULT_CONCURRENCY, DEFAULT_REQUESTS, DEFAULT_SEED, DEFAULT_SLOW_CLIENTS, DEFAULT_VALID_EVENTS_PER_SEC, runCampaign } from './run.js';

export const DEFAULT_OUT = 'artifacts/campaign/summary.json';
export const DEFAULT_MARKDOWN = 'artifacts/campaign/campaign.md';
export const DEFAULT_BODY_TIMEOUT_MS = 5_000;

const args = parseArgs(process.argv.slice(2));
checkKnown(args, ['requests', 'concurrency', 'runtime', 'seed', 'valid-rate', 'slow-clients', 'out', 'markdown']);
const runtime = stringArg(args, 'runtime', 'bun');
if (runtime !== 'bun' && runtime !== 'node') throw new BenchConfigError('--runtime', `must be bun or node, got "${runtime}"`);
const log = (m: string) => progress('campaign', m);
const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

const dir = benchDir('campaign');
const sys = await startSystem({
  dataDir: dir.path,
  runtime: runtime as CollectorRuntime,
  bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
  onLog: (e) => {
    if (e['level'] === 'error') process.stderr.write(JSON.stringify(e) + '\n');
  },
});
let ok = false;
try {
  log(`embedded system up: collector ${sys.collectorUrl} (${runtime}), query API ${sys.queryUrl}`);
  const summary = await runCampaign({
    collectorUrl: sys.collectorUrl,
    queryUrl: sys.queryUrl,
    adminToken: sys.adminToken,
    requests: numberArg(args, 'requests', DEFAULT_REQUESTS, { min: 1 }),
    concurrency: numberArg(args, 'concurrency', DEFAULT_CONCURRENCY, { min: 1 }),
    seed: numberArg(args, 'seed', DEFAULT_SEED),
    validEventsPerSec: numberArg(args, 'valid-rate', DEFAULT_VALID_EVENTS_PER_SEC, { min: 1 }),
    slowClients: numberArg(args, 'slow-clients', DEFAULT_SLOW_CLIENTS),
    log,
  });
  ok = summary.ok;
  const out = stringArg(args, 'out', DEFAULT_OUT);
  const md = stringArg(args, 'markdown', DEFAULT_MARKDOWN);
  write(out, JSON.stringify(summary, null, 2) + '\n');
  write(md, renderCampaign(summary, { command: commandLine('bench/dist/campaign.js'), date: new Date().toISOString(), runtime }));
  log(`summary: ${out}; markdown section for docs/RELIABILITY.md: ${md}`);
} finally {
  await sys.stop();
  dir.remove();
}
process.exit(ok ? 0 : 1);
