import { AckPolicy, DeliverPolicy, nanos, type JetStreamManager } from 'nats';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM } from '@pulse/protocol';
import { isNotFound } from '@pulse/protocol/streams';

export {
  DEFAULT_STREAM_MAX_AGE_MS,
  DEFAULT_DUPLICATE_WINDOW_MS as DUPLICATE_WINDOW_MS,
  ensureStreams,
  type StreamSettings,
} from '@pulse/protocol/streams';

export interface ConsumerSettings {
  ackWaitMs: number;
  maxAckPending: number;
}

/**
 * The durable pull consumer every aggregator shares. Unlimited deliveries: a message is only
 * ever finished by an ack after ClickHouse has its rows, or by a term after it went to the DLQ
 * (the aggregator sends one there itself once it was delivered more than `maxDeliveries` times).
 */
export async function ensureConsumer(jsm: JetStreamManager, c: ConsumerSettings): Promise<void> {
  try {
    const { config } = await jsm.consumers.info(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    // An existing consumer follows the configured ack wait and window (both editable in place).
    if (config.ack_wait !== nanos(c.ackWaitMs) || config.max_ack_pending !== c.maxAckPending) {
      await jsm.consumers.update(EVENTS_STREAM, AGGREGATOR_CONSUMER, { ack_wait: nanos(c.ackWaitMs), max_ack_pending: c.maxAckPending });
    }
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: AGGREGATOR_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(c.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: c.maxAckPending,
  });
}
