import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveOptions } from './config.js';
import type { CollectorCore } from './core/collector-core.js';
import { createMetrics } from './core/metrics.js';
import type { Logger } from './core/types.js';
import { configFromEnv } from './env.js';
import { createJsonLogger } from './log.js';
import { assertPortFree, startMetricsListener, type MetricsListener } from './metrics-listener.js';
import { CollectorService } from './service.js';
import { WORKER_ENV, startWorkers, type Workers } from './workers.js';
import type { HttpServerOptions, RunningServer } from './adapters/server.js';

export type StartServer = (core: CollectorCore, o: HttpServerOptions) => Promise<RunningServer>;

/** The browser SDK's build, when that package is installed and built; never a hard dependency. */
export function findBrowserScript(resolve: (specifier: string) => string): string | undefined {
  try {
    const path = fileURLToPath(resolve('@pulse/sdk-browser/script.js'));
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The build variants next to the SDK's script.js (script.full.js, script.links.js, …). */
const SCRIPT_VARIANT = /^script\.[a-z]+\.js$/;

/**
 * An explicit COLLECTOR_SCRIPT_FILE is served as script.js alone; the SDK's own build brings
 * its variants along, each at its own name.
 */
export function loadBrowserScripts(explicit: string | undefined, found: string | undefined): Map<string, Uint8Array> {
  const scripts = new Map<string, Uint8Array>();
  const main = explicit ?? found;
  if (!main) return scripts;
  scripts.set('script.js', new Uint8Array(readFileSync(main)));
  if (!explicit) {
    const dir = dirname(main);
    for (const name of readdirSync(dir)) if (SCRIPT_VARIANT.test(name)) scripts.set(name, new Uint8Array(readFileSync(join(dir, name))));
  }
  return scripts;
}

/**
 * Shared body of main-node and main-bun: env → service → HTTP → signals.
 * SIGTERM/SIGINT: stop accepting, finish in-flight publishes, close NATS, exit 0.
 */
export async function runCollector(
  env: Record<string, string | undefined>,
  runtime: 'node' | 'bun',
  startServer: StartServer,
  resolve: (specifier: string) => string,
): Promise<void> {
  let log: Logger = createJsonLogger('info', { service: 'edge-collector', runtime });
  try {
    const cfg = configFromEnv(env);
    const worker = Number(env[WORKER_ENV] ?? 0);
    log = createJsonLogger(cfg.logLevel, { service: 'edge-collector', runtime, ...(worker ? { worker } : {}) });
    const collector = resolveOptions(cfg.collector);
    const scriptFile = cfg.scriptFile ?? findBrowserScript(resolve);
    const scripts = loadBrowserScripts(cfg.scriptFile, findBrowserScript(resolve));
    const service = new CollectorService({ natsServers: cfg.natsUrl, collector, scripts, log, metrics: createMetrics({ worker }) });
    // Before the shared port: a process that cannot have its own metrics port never takes traffic.
    let metricsListener: MetricsListener | undefined;
    if (cfg.metricsPort !== undefined) {
      metricsListener = await startMetricsListener(service.core, { host: cfg.host, port: cfg.metricsPort + worker, setting: metricsSetting(worker) });
      if (cfg.processes > 1 && !worker) {
        for (let n = 1; n < cfg.processes; n++) await assertPortFree({ host: cfg.host, port: cfg.metricsPort + n, setting: metricsSetting(n) });
      }
    }
    const server = await startServer(service.core, { host: cfg.host, port: cfg.port });
    log('info', 'listening', { host: cfg.host, port: server.port, metrics_port: metricsListener?.port ?? null, nats: redact(cfg.natsUrl), instance_id: collector.instanceId, path_prefix: collector.pathPrefix, script: scriptFile ?? null, scripts: [...scripts.keys()] });
    void service.start();
    let workers: Workers | undefined;
    if (cfg.processes > 1 && !worker) {
      if (server.port === 0 || cfg.port === 0) throw new Error('COLLECTOR_PROCESSES > 1 needs a fixed COLLECTOR_PORT');
      workers = startWorkers(cfg.processes - 1, env, log);
    }

    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log('info', 'draining', { signal });
      server.stopAccepting();
      const [clean] = await Promise.all([service.drain(), workers?.stop()]);
      server.close();
      metricsListener?.close();
      log(clean ? 'info' : 'warn', clean ? 'stopped' : 'stopped at the drain deadline', { signal });
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  } catch (e) {
    log('error', 'collector failed to start', { err: String((e as Error)?.message ?? e) });
    process.exit(1);
  }
}

/** Names a process's metrics port in errors the way the settings give it. */
function metricsSetting(worker: number): string {
  return worker ? `COLLECTOR_METRICS_PORT + ${worker} (worker ${worker})` : 'COLLECTOR_METRICS_PORT';
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//***@');
}
