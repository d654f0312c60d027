import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the collector exposes on /metrics, in one registry per collector. */
export interface CollectorMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'status'>;
  readonly events: Counter<'outcome'>;
  readonly inflightRequests: Gauge;
  readonly inflightPublishes: Gauge;
  readonly queuedBytes: Gauge;
  readonly publishSeconds: Histogram<'result'>;
  readonly messageRecords: Histogram;
  readonly messageBytes: Histogram;
  readonly deadLetters: Counter;
  readonly keyLookups: Counter<'result'>;
  readonly rateLimited: Counter;
  readonly natsConnected: Gauge;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): CollectorMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) {
    try {
      collectDefaultMetrics({ register: registry, prefix: 'pulse_collector_' });
    } catch {
      // Some process metrics are not available on every runtime; the collector's own metrics still are.
    }
  }
  return {
    registry,
    requests: new Counter({ name: 'pulse_collector_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    events: new Counter({ name: 'pulse_collector_events_total', help: 'Events by outcome (accepted = acknowledged by JetStream)', labelNames: ['outcome'], registers }),
    inflightRequests: new Gauge({ name: 'pulse_collector_inflight_requests', help: 'Requests being handled', registers }),
    inflightPublishes: new Gauge({ name: 'pulse_collector_inflight_publishes', help: 'JetStream publishes awaiting a PubAck', registers }),
    queuedBytes: new Gauge({ name: 'pulse_collector_queued_bytes', help: 'Encoded records waiting for a publish slot', registers }),
    publishSeconds: new Histogram({
      name: 'pulse_collector_publish_seconds',
      help: 'JetStream publish latency until PubAck',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    messageRecords: new Histogram({
      name: 'pulse_collector_message_records',
      help: 'Requests (records) coalesced into one JetStream message',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    messageBytes: new Histogram({
      name: 'pulse_collector_message_bytes',
      help: 'Size of one JetStream message',
      buckets: [256, 1024, 4096, 16384, 65536, 262144, 524288, 1048576],
      registers,
    }),
    deadLetters: new Counter({ name: 'pulse_collector_dead_letters_total', help: 'Rejected events written to EVENTS_DLQ', registers }),
    keyLookups: new Counter({ name: 'pulse_collector_key_lookups_total', help: 'Write key lookups by result', labelNames: ['result'], registers }),
    rateLimited: new Counter({ name: 'pulse_collector_rate_limited_total', help: 'Requests refused with 429', registers }),
    natsConnected: new Gauge({ name: 'pulse_collector_nats_connected', help: '1 while connected to NATS', registers }),
  };
}
