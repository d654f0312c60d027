import { fileURLToPath } from 'node:url';
import { launchDetached, type Launched } from '@pulse/testkit';

export { alive, recordedPids, type Launched } from '@pulse/testkit';

/** The repository root: where `npm start` runs the launcher from. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const OWN_VARS = ['DATA_DIR', 'ADMIN_TOKEN', 'NATS_URL', 'CLICKHOUSE_URL', 'COLLECTOR_RUNTIME', 'INIT_CWD', 'NATS_SERVER_BIN'];

/** `node examples/embedded/dist/main.js` as a terminal would run it. */
export function launch(env: Record<string, string>, args: string[] = [], cwd = REPO_ROOT): Launched {
  return launchDetached({ main: MAIN, env, args, cwd, unset: OWN_VARS, timeoutMs: 60_000 });
}
