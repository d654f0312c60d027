import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveOptions } from './config.js';
import type { CollectorCore } from './core/collector-core.js';
import type { Logger } from './core/types.js';
import { configFromEnv } from './env.js';
import { createJsonLogger } from './log.js';
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
    const script = scriptFile ? new Uint8Array(readFileSync(scriptFile)) : undefined;
    const service = new CollectorService({ natsServers: cfg.natsUrl, collector, ...(script ? { script } : {}), log });
    const server = await startServer(service.core, { host: cfg.host, port: cfg.port });
    log('info', 'listening', { host: cfg.host, port: server.port, nats: redact(cfg.natsUrl), instance_id: collector.instanceId, path_prefix: collector.pathPrefix, script: scriptFile ?? null });
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

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//***@');
}
