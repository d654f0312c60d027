import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { READINESS_CAUSES, readinessCauses, type ReadinessBody } from './readiness.js';

export interface ApiMetricsOptions {
  /** Registered on it: the instance's own, or one it shares with other parts of its process (a replay manager). */
  registry: Registry;
  defaultMetrics: boolean;
  cacheSize: () => number;
  /** Probes readiness for a scrape (so the gauges hold even when nothing polls /readyz); undefined before the start. */
  readiness: () => Promise<ReadinessBody | undefined>;
}

/** Prometheus metrics of one query API instance (own registry by default, so several can live in one process). */
export class ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly rateLimited: Counter;
  readonly staleTenancyAnswers: Counter;
  readonly storageQueries: Histogram<'kind'>;
  readonly cacheEntries: Gauge;
  readonly ready: Gauge;
  readonly readinessCause: Gauge<'cause'>;

  constructor(opts: ApiMetricsOptions) {
    this.registry = opts.registry;
    const registers = [this.registry];
    this.requests = new Counter({ name: 'pulse_query_http_requests_total', help: 'HTTP requests', labelNames: ['route', 'method', 'status'], registers });
    this.duration = new Histogram({
      name: 'pulse_query_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.cacheHits = new Counter({ name: 'pulse_query_cache_hits_total', help: 'Answers served from the cache', registers });
    this.cacheMisses = new Counter({ name: 'pulse_query_cache_misses_total', help: 'Answers computed', registers });
    this.rateLimited = new Counter({ name: 'pulse_query_rate_limited_total', help: 'Requests answered 429', registers });
    this.staleTenancyAnswers = new Counter({
      name: 'pulse_query_stale_tenancy_answers_total',
      help: 'Answers given on a read key or site record NATS could not confirm (its last known good record)',
      registers,
    });
    this.storageQueries = new Histogram({
      name: 'pulse_query_storage_seconds',
      help: 'ClickHouse time per report',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.cacheEntries = new Gauge({
      name: 'pulse_query_cache_entries',
      help: 'Answers held in the cache',
      registers,
      collect() {
        this.set(opts.cacheSize());
      },
    });
    // Both gauges are read from the same probe: the registry collects them at once and the probe is shared.
    this.ready = new Gauge({
      name: 'pulse_query_ready',
      help: '1 while /readyz says ready, 0 while degraded (200, tenancy from last known records) or not_ready (503); see pulse_query_readiness_cause',
      registers,
      async collect() {
        const body = await opts.readiness();
        if (body) this.set(body.status === 'ready' ? 1 : 0);
      },
    });
    this.readinessCause = new Gauge({
      name: 'pulse_query_readiness_cause',
      help: '1 while this cause keeps /readyz from ready: tenancy_stale (NATS out of reach, answering from last known records: degraded), tenancy_unavailable (NATS out of reach past the stale window, or closed), storage_unreachable, schema_missing',
      labelNames: ['cause'],
      registers,
      async collect() {
        const body = await opts.readiness();
        if (body) for (const [cause, on] of Object.entries(readinessCauses(body))) this.set({ cause }, on ? 1 : 0);
      },
    });
    for (const cause of READINESS_CAUSES) this.readinessCause.set({ cause }, 0);
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'pulse_query_' });
  }
}
