#!/usr/bin/env node
/**
 * The "core" process of the one-machine cluster: N aggregators on the shared durable consumer and
 * the query API, over ONE storage. chDB opens a data path from one process only, so with chDB
 * everything that touches ClickHouse lives here; with CLICKHOUSE_URL the same services would run as
 * separate processes (aggregator/dist/main.js, query-api/dist/main.js) on separate machines.
 *
 * Env: NATS_URL (comma-separated), DATA_DIR (chDB in $DATA_DIR/clickhouse) or CLICKHOUSE_URL
 * (+ CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER), ADMIN_TOKEN,
 * QUERY_PORT (8081), QUERY_HOST / AGGREGATOR_HOST (0.0.0.0), AGGREGATOR_PORTS (8082,8083: one
 * status port per aggregator, and as many aggregators), STREAM_REPLICAS and NATS_KV_REPLICAS (1),
 * STATIC_DIR, PULSE_STORAGE_FAULT_FILE (fault tests only).
 *
 * A wrong variable exits 2 at once. Anything else that stops the start (NATS not there yet, or
 * timing out during a JetStream election) is retried with backoff until it starts; SIGTERM or
 * SIGINT drains whatever is up and exits 0. Every port answers from the first moment (a placeholder:
 * /healthz 200, /readyz 503 `starting: …`) until its service takes it over.
 */
import { createStorage } from '@pulse/aggregator/storage';
import { jsonLogger } from '@pulse/aggregator';
import { isConfigError, retryStart } from '@pulse/protocol';
import { ClusterConfigError } from './errors.js';
import { coreConfig, type CoreConfig } from './core-config.js';
import { CoreServices } from './core-services.js';
import { withStorageFaults } from './faulty-storage.js';

const writer = (service: string) => (line: string) => process.stdout.write(line.replace(/^\{/, `{"service":"${service}",`));
const log = jsonLogger(writer('core'));

/** An option object a service refused (`ConfigError` of the aggregator or the query API) or a variable of ours. */
const isCoreConfigError = (err: unknown): boolean => err instanceof ClusterConfigError || isConfigError(err);

const describe = (err: unknown) => (err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err));

async function main(): Promise<void> {
  let config: CoreConfig;
  try {
    config = coreConfig(process.env);
  } catch (err) {
    log.log('error', 'core configuration error', { err: describe(err) });
    process.exit(2);
  }
  const base = createStorage(config.storage);
  const storage = config.storageFaultFile ? withStorageFaults(base, config.storageFaultFile) : base;
  const services = new CoreServices({ config, storage, log, writer });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'draining', { signal });
    await services.stop();
    log.log('info', 'stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await services.listen();
  log.log('info', 'core starting', { query_port: config.queryPort, aggregator_ports: config.aggregatorPorts });
  try {
    await retryStart({ name: 'core', attempt: () => services.startAttempt(), fatal: isCoreConfigError, stopped: () => stopping, log });
  } catch (err) {
    log.log('error', 'core configuration error', { err: describe(err) });
    process.exit(2);
  }
}

main().catch((err: unknown) => {
  log.log('error', 'core failed to start', { err: describe(err) });
  process.exit(1);
});
