import { connect, type NatsConnection } from 'nats';
import { createAggregator, createStatusServer, jsonLogger, type Aggregator, type StatusServer } from '@pulse/aggregator';
import { migrate, type Storage } from '@pulse/aggregator/storage';
import { createQueryApi, HTTP_SERVER_OPTIONS, jsonLogger as queryLogger, type QueryApi } from '@pulse/query-api';
import { drainWithin, within, type Logger } from '@pulse/protocol';
import { createStartingServer, type StartingServer } from '@pulse/protocol/starting-server';
import type { CoreConfig } from './core-config.js';

/** How long a first connect waits for a NATS server before the attempt fails (and is retried). */
const CONNECT_TIMEOUT_MS = 5_000;
/** On SIGTERM: how long an attempt under way may finish (so what it starts is stopped too), and each connection drain. */
const STOP_WAIT_MS = 5_000;

export interface CoreServicesOptions {
  config: CoreConfig;
  storage: Storage;
  log: Logger;
  /** A line writer tagging each service's JSON lines with its name. */
  writer: (service: string) => (line: string) => void;
}

/**
 * The core's services (the query API, N aggregators and their status servers, over one storage),
 * started step by step: `startAttempt()` does what earlier attempts left undone, so one that failed
 * on a NATS timeout is simply called again. `stop()` drains whatever is up. `listen()` first opens
 * every port with a placeholder (/healthz 200, /readyz 503 saying why), which each service takes over
 * once it has started, so a probe never finds a port dark while the core waits for NATS.
 */
export class CoreServices {
  private migrated = false;
  private readonly connections = new Map<string, NatsConnection>();
  private query: QueryApi | undefined;
  private queryPort: number | undefined;
  private readonly aggregators: Aggregator[] = [];
  private readonly statusServers: StatusServer[] = [];
  private current: Promise<void> | undefined;
  private stopping = false;
  private readonly startingQuery: StartingServer;
  private readonly startingAggregators: StartingServer[];

  constructor(private readonly o: CoreServicesOptions) {
    const c = o.config;
    const phase = 'applying the schema migrations';
    this.startingQuery = createStartingServer({ name: 'query api', metricsPrefix: 'pulse_query', port: c.queryPort, host: c.queryHost, phase, serverOptions: HTTP_SERVER_OPTIONS });
    this.startingAggregators = c.aggregatorPorts.map((port) =>
      createStartingServer({ name: 'aggregator', metricsPrefix: 'pulse_aggregator', port, host: c.aggregatorHost, phase }),
    );
  }

  /** Opens every port with its placeholder; a port another process holds fails here, at once. */
  async listen(): Promise<void> {
    for (const s of [this.startingQuery, ...this.startingAggregators]) await s.start();
  }

  startAttempt(): Promise<void> {
    this.current = this.attempt().catch((err: unknown) => {
      // Every placeholder still answering says why (those handed over are no longer asked).
      for (const s of [this.startingQuery, ...this.startingAggregators]) s.failed(err);
      throw err;
    });
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // An attempt under way may be about to start a service: let it, briefly, so it is stopped too.
    if (this.current) await within(this.current, STOP_WAIT_MS, () => new Error('attempt still under way')).catch(() => undefined);
    const { log } = this.o;
    // Those not taken over yet (a placeholder handed over is closed by its service).
    await Promise.all([this.startingQuery, ...this.startingAggregators].map((s) => s.close()));
    await this.query?.stop().catch((err: unknown) => log.log('error', 'query api stop failed', { err }));
    await Promise.all(this.aggregators.map((a) => a.stop().catch((err: unknown) => log.log('error', 'aggregator stop failed', { err }))));
    await Promise.all([...this.connections.values()].map((nc) => drainWithin(nc, STOP_WAIT_MS)));
    await Promise.all(this.statusServers.map((s) => s.stop().catch(() => {})));
    await this.o.storage.close().catch(() => {});
  }

  private async attempt(): Promise<void> {
    const { config: c, storage, log, writer } = this.o;
    if (!this.migrated) {
      this.phase('applying the schema migrations');
      // Before the query API: its schema probe should find the tables on its first look.
      const { applied } = await migrate(storage, c.clickhouseCluster ? { cluster: c.clickhouseCluster } : {});
      log.log('info', 'schema ready', { backend: storage.backend, applied });
      this.migrated = true;
    }
    this.phase('connecting to NATS and starting the services');
    // The query API first: it creates the tenancy buckets with kvReplicas before anyone else can
    // create them with the default replica count.
    if (this.queryPort === undefined) {
      this.query ??= createQueryApi({
        nats: await this.natsFor('pulse-query-api'),
        storage,
        adminToken: c.adminToken,
        port: c.queryPort,
        host: c.queryHost,
        kvReplicas: c.kvReplicas,
        defaultMetrics: true,
        logger: queryLogger(writer('query-api')),
        ...(c.staticDir ? { staticDir: c.staticDir } : {}),
      });
      this.queryPort = (await this.query.start({ takeOver: this.startingQuery })).port;
    }
    // In order: the first one creates the streams and the consumer; the next find them.
    for (const [i, port] of c.aggregatorPorts.entries()) {
      if (i < this.statusServers.length) continue;
      if (this.stopping) throw new Error('stopping');
      let aggregator = this.aggregators[i];
      if (!aggregator) {
        const made = createAggregator({
          nats: await this.natsFor(`pulse-aggregator-${i + 1}`),
          storage,
          streamReplicas: c.streamReplicas,
          logger: jsonLogger(writer(`aggregator-${i + 1}`)),
          migrate: false,
        });
        // A start that failed leaves it new, to be started again by the next attempt.
        await made.start();
        this.aggregators.push(made);
        aggregator = made;
      }
      const status = createStatusServer({ aggregator, port, host: c.aggregatorHost });
      await status.start({ takeOver: this.startingAggregators[i] });
      this.statusServers.push(status);
    }
    log.log('info', 'core ready', { query_port: this.queryPort, aggregators: this.aggregators.length, aggregator_ports: c.aggregatorPorts, storage: storage.backend, nats: c.natsServers });
  }

  /** What the attempt under way does, for every placeholder's /readyz. */
  private phase(what: string): void {
    for (const s of [this.startingQuery, ...this.startingAggregators]) s.phase(what);
  }

  /** One connection per service, as if each ran on its own machine; made once, kept across attempts. */
  private async natsFor(name: string): Promise<NatsConnection> {
    const known = this.connections.get(name);
    if (known) return known;
    const nc = await connect({ servers: this.o.config.natsServers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: CONNECT_TIMEOUT_MS, noAsyncTraces: true });
    this.connections.set(name, nc);
    return nc;
  }
}
