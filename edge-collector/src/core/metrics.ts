import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';

/** A number read when /metrics is scraped. */
export type Probe = () => number;

/**
 * Gauges whose owners keep a plain number and register a probe: a hot path then
 * costs an integer add, not a prom-client update per request.
 */
export interface Probes {
  inflightRequests?: Probe;
  inflightPublishes?: Probe;
  queuedBytes?: Probe;
}

/**
 * One labelled child of a counter that the hot path bumps as a plain number
 * (`t.value += n`); it reaches prom-client when /metrics is scraped, because a
 * prom-client inc hashes its labels on every call.
 */
export class Tally {
  value = 0;
  private flushed = 0;

  constructor(
    private readonly counter: Counter<string>,
    private readonly labels: LabelValues<string>,
  ) {}

  flush(): void {
    const d = this.value - this.flushed;
    if (d === 0) return;
    this.counter.inc(this.labels, d);
    this.flushed = this.value;
  }
}

/** Every metric the collector exposes on /metrics, in one registry per collector. */
export interface CollectorMetrics {
  readonly registry: Registry;
  readonly probes: Probes;
  /** A Tally for one label set of `requests`, `events` or `keyLookups`. */
  tally<L extends string>(counter: Counter<L>, labels: LabelValues<L>): Tally;
  readonly requests: Counter<'route' | 'status'>;
  readonly events: Counter<'outcome'>;
  /** Batch bodies by how they were read: `scan` (msgpack scan, not decoded) or `decode` (full decode and validation). */
  readonly bodyReads: Counter<'read'>;
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

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /**
   * The process's number among COLLECTOR_PROCESSES (0 = the primary), exported as
   * `pulse_collector_process_info{worker}`: a constant series, so the collector's own series
   * keep their labels and the scrape says which process answered.
   */
  worker?: number;
}

export function createMetrics(opts: MetricsOptions = {}): CollectorMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.worker !== undefined) {
    new Gauge({ name: 'pulse_collector_process_info', help: 'Always 1; worker = which of the COLLECTOR_PROCESSES answered (0 = the primary)', labelNames: ['worker'], registers }).set({ worker: String(opts.worker) }, 1);
  }
  if (opts.defaultMetrics !== false) {
    try {
      collectDefaultMetrics({ register: registry, prefix: 'pulse_collector_' });
    } catch {
      // Some process metrics are not available on every runtime; the collector's own metrics still are.
    }
  }
  const probes: Probes = {};
  const probed = (name: keyof Probes) =>
    function (this: Gauge) {
      const p = probes[name];
      if (p) this.set(p());
    };
  const tallies = new Map<Counter<string>, Tally[]>();
  const flushTallies = function (this: Counter<string>) {
    for (const t of tallies.get(this) ?? []) t.flush();
  };
  return {
    registry,
    probes,
    tally<L extends string>(counter: Counter<L>, labels: LabelValues<L>): Tally {
      const c = counter as unknown as Counter<string>;
      const t = new Tally(c, labels as LabelValues<string>);
      const list = tallies.get(c);
      if (list) list.push(t);
      else tallies.set(c, [t]);
      return t;
    },
    requests: new Counter({ name: 'pulse_collector_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers, collect: flushTallies }),
    events: new Counter({ name: 'pulse_collector_events_total', help: 'Events by outcome (accepted = acknowledged by JetStream; ignored = Segment calls with no Pulse event)', labelNames: ['outcome'], registers, collect: flushTallies }),
    bodyReads: new Counter({ name: 'pulse_collector_body_reads_total', help: 'Batch bodies by how they were read: scan (msgpack scan vouched for every event) or decode', labelNames: ['read'], registers, collect: flushTallies }),
    inflightRequests: new Gauge({ name: 'pulse_collector_inflight_requests', help: 'Requests being handled', registers, collect: probed('inflightRequests') }),
    inflightPublishes: new Gauge({ name: 'pulse_collector_inflight_publishes', help: 'JetStream publishes awaiting a PubAck', registers, collect: probed('inflightPublishes') }),
    queuedBytes: new Gauge({ name: 'pulse_collector_queued_bytes', help: 'Encoded records waiting for a publish slot', registers, collect: probed('queuedBytes') }),
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
    keyLookups: new Counter({ name: 'pulse_collector_key_lookups_total', help: 'Write key lookups by result', labelNames: ['result'], registers, collect: flushTallies }),
    rateLimited: new Counter({ name: 'pulse_collector_rate_limited_total', help: 'Requests refused with 429', registers }),
    natsConnected: new Gauge({ name: 'pulse_collector_nats_connected', help: '1 while connected to NATS', registers }),
  };
}
