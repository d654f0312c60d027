import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one query API instance (own registry, so several can live in one process). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly rateLimited: Counter;
  readonly staleTenancyAnswers: Counter;
  readonly storageQueries: Histogram<'kind'>;
  readonly cacheEntries: Gauge;

  constructor(opts: { defaultMetrics: boolean; cacheSize: () => number }) {
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
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'pulse_query_' });
  }
}
