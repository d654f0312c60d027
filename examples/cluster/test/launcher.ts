import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchDetached, parseJsonLine, servicePorts, type Launched } from '@pulse/testkit';

export { alive, recordedPids, type Launched } from '@pulse/testkit';

/** This package's folder: where `npm run cluster` (root) runs the launcher, through `npm run -w`. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const OWN_VARS = ['DATA_DIR', 'ADMIN_TOKEN', 'COLLECTOR_RUNTIME', 'COLLECTOR_PORT', 'LB_PORT', 'INIT_CWD', 'NATS_SERVER_BIN', 'HAPROXY_BIN'];

/** `node dist/main.js` as a terminal would run it. */
export function launch(env: Record<string, string>, cwd = PACKAGE_DIR): Launched {
  return launchDetached({ main: MAIN, env, cwd, unset: OWN_VARS, timeoutMs: 120_000 });
}

/** Fresh ports for every listener of a launched cluster, as the launcher's variables. */
export async function clusterPorts(): Promise<Record<string, string>> {
  const [lb, stats, query] = await servicePorts(3);
  return {
    LB_PORT: String(lb),
    LB_STATS_PORT: String(stats),
    QUERY_PORT: String(query),
    COLLECTOR_PORTS: (await servicePorts(2)).join(','),
    AGGREGATOR_PORTS: (await servicePorts(2)).join(','),
    NATS_PORTS: (await servicePorts(3)).join(','),
    NATS_ROUTE_PORTS: (await servicePorts(3)).join(','),
  };
}

/** Error-level JSON lines in the services' own logs ($DATA_DIR/logs/*.log). */
export function serviceErrors(dataDir: string): Array<Record<string, unknown>> {
  const dir = join(dataDir, 'logs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').flatMap((l) => parseJsonLine(l).map((e): Record<string, unknown> => ({ file: f, ...e }))))
    .filter((e) => e.level === 'error');
}
