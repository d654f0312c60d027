import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AggregatorError, ReplayTargetError } from './errors.js';
import { direct } from './replay/cli-direct.js';
import { EXIT_CODES_HELP, EXIT_DONE, EXIT_FAILED, EXIT_USAGE, exitCodeOf } from './replay/cli-exit.js';
import { viaQueryApi } from './replay/cli-query-api.js';
import { REPLAY_TARGETS_HELP, replayTarget } from './replay/cli-target.js';
import { parseReplayRequest } from './replay/manager.js';

/**
 * `npm run replay -- --from <ISO> --to <ISO> [--site <site_id>] [--batch <messages>]`
 *
 * How it reaches the data (`replayTarget`, src/replay/cli-target.ts): QUERY_URL + ADMIN_TOKEN
 * through that query API; else NATS_URL directly (with CLICKHOUSE_URL or chDB in
 * DATA_DIR/clickhouse); else the query API of a running `npm start` (QUERY_URL or
 * 127.0.0.1:QUERY_PORT) with ADMIN_TOKEN or DATA_DIR/admin-token; else exit 2, saying so.
 * Progress goes to stderr, the final status as JSON to stdout. Exit codes: `cli-exit.ts` (2 for
 * anything the user must correct first). Ctrl-C cancels a direct replay.
 */
const USAGE = `usage: replay --from <ISO-8601> --to <ISO-8601> [--site <site_id>] [--batch <messages>]

${REPLAY_TARGETS_HELP}
${EXIT_CODES_HELP}`;

class UsageError extends Error {}
class HelpRequested extends Error {}

function options(): { from: string; to: string; site?: string; batch?: number } {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, to: { type: 'string' }, site: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) throw new HelpRequested(USAGE);
  if (!values.from || !values.to) throw new UsageError(`--from and --to are required\n${USAGE}`);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) throw new UsageError('--batch must be a positive integer');
  return { from: values.from, to: values.to, ...(values.site ? { site: values.site } : {}), ...(batch ? { batch } : {}) };
}

async function main(): Promise<number> {
  let req: ReturnType<typeof options>;
  try {
    req = options();
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.message}\n`);
      return EXIT_DONE;
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_USAGE;
  }
  try {
    // Fail on a bad range, or on not knowing where the data is, before touching NATS or a data directory.
    parseReplayRequest({ from: req.from, to: req.to, ...(req.site ? { site_id: req.site } : {}) });
    const target = replayTarget(process.env, (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined));
    const status = target.kind === 'query-api' ? await viaQueryApi(target, req) : await direct(target, process.env, req);
    process.stdout.write(`${JSON.stringify(status)}\n`);
    return status.state === 'done' ? EXIT_DONE : EXIT_FAILED;
  } catch (err) {
    const code = err instanceof AggregatorError ? err.code : 'error';
    process.stderr.write(`replay: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    // Not knowing where the data is: the ways to say it are in the usage.
    if (err instanceof ReplayTargetError) process.stderr.write(`\n${USAGE}\n`);
    return exitCodeOf(err);
  }
}

main().then(
  (code) => process.exit(code),
  () => process.exit(EXIT_FAILED),
);
