import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EXCLUSION_RULES } from './site-rules-compile.js';

/**
 * A counter by one label with every series present from the start (`values`): a rate or
 * increase() over one is then 0 rather than absent before its first count.
 */
export function counterBy<L extends string>(o: { name: string; help: string; label: L; values: readonly string[]; registers: Registry[] }): Counter<L> {
  const counter = new Counter<L>({ name: o.name, help: o.help, labelNames: [o.label], registers: o.registers });
  for (const v of o.values) counter.inc({ [o.label]: v } as Partial<Record<L, string>>, 0);
  return counter;
}

/**
 * One registry per aggregator instance, so an embedded process can host several services.
 * `defaultMetrics`: Node's process metrics too (`pulse_aggregator_process_*`, `pulse_aggregator_nodejs_*`),
 * for a process that runs nothing else.
 */
export function createMetrics(opts: { defaultMetrics: boolean } = { defaultMetrics: false }) {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'pulse_aggregator_' });
  const excluded = counterBy({
    name: 'pulse_aggregator_excluded_events_total',
    help: "Events dropped by a site's processing rules, by the rule that dropped them (allowed_hostnames, excluded_countries, excluded_paths).",
    label: 'rule',
    values: EXCLUSION_RULES,
    registers,
  });
  return {
    registry,
    messages: new Counter({
      name: 'pulse_aggregator_messages_total',
      help: 'Stream messages finished, by outcome (stored, dlq).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    duplicates: new Counter({
      name: 'pulse_aggregator_duplicate_events_total',
      help: 'Events dropped because their client event id was already stored (SDK retries, redeliveries).',
      registers,
    }),
    excluded,
    oldestAge: new Gauge({
      name: 'pulse_aggregator_oldest_unprocessed_age_seconds',
      help: 'Age of the oldest message in EVENTS not yet acked (0 when caught up).',
      registers,
    }),
    completeThrough: new Gauge({
      name: 'pulse_aggregator_complete_through_seconds',
      help: 'Watermark: every event received before this Unix time is queryable.',
      registers,
    }),
    rows: new Counter({ name: 'pulse_aggregator_rows_inserted_total', help: 'Event rows inserted into ClickHouse.', registers }),
    inserts: new Counter({ name: 'pulse_aggregator_inserts_total', help: 'Insert statements that succeeded.', registers }),
    failures: new Counter({
      name: 'pulse_aggregator_step_failures_total',
      help: 'Failed attempts of a batch step (prepare, sessions, settle, lock, dedup, insert, archive); retried with backoff, nothing acked.',
      labelNames: ['step'] as const,
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'pulse_aggregator_insert_duration_seconds',
      help: 'Duration of successful inserts.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    stepSeconds: new Histogram({
      name: 'pulse_aggregator_step_duration_seconds',
      help: 'Duration of successful batch steps (prepare, sessions, settle, lock: waiting for the store lock across processes, dedup, insert, archive).',
      labelNames: ['step'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    pending: new Gauge({
      name: 'pulse_aggregator_consumer_pending_messages',
      help: 'Messages in EVENTS not yet delivered to any aggregator (consumer lag).',
      registers,
    }),
    ackPending: new Gauge({
      name: 'pulse_aggregator_consumer_ack_pending_messages',
      help: 'Messages delivered to aggregators and not yet acked.',
      registers,
    }),
    natsFailures: new Counter({
      name: 'pulse_aggregator_nats_request_failures_total',
      help: 'NATS requests (lag measurement and watermark, fence heartbeats, the consume loop, the KV writes of the batch steps) that failed because NATS did not answer; an outage is logged once, its attempts are counted here.',
      labelNames: ['source'] as const,
      registers,
    }),
    natsUnreachable: new Gauge({
      name: 'pulse_aggregator_nats_unreachable',
      help: '1 while NATS does not answer (an outage: from the first unanswered request to the next answered periodic one), 0 otherwise.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
