import { headers, type JetStreamClient } from 'nats';
import { EVENTS_INGEST_SUBJECT } from '@pulse/protocol';
import { encodeStreamMessage } from '@pulse/protocol/codec';
import type { AnyStreamMessage } from '@pulse/protocol';

/**
 * Publishes like a collector: `events.ingest`, a `Nats-Msg-Id` per message, at most `window`
 * PubAcks outstanding (a collector pipelines its group commits the same way).
 */
export function pipelinedPublisher(js: JetStreamClient, opts: { idPrefix: string; window: number }) {
  let seq = 0;
  const inflight = new Set<Promise<unknown>>();
  let failure: unknown;
  return {
    async publish(message: AnyStreamMessage): Promise<void> {
      if (failure) throw failure;
      while (inflight.size >= opts.window) await Promise.race(inflight);
      const h = headers();
      h.set('Nats-Msg-Id', `${opts.idPrefix}-${++seq}`);
      const p: Promise<unknown> = js
        .publish(EVENTS_INGEST_SUBJECT, encodeStreamMessage(message), { headers: h, timeout: 30_000 })
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    async drain(): Promise<void> {
      await Promise.all(inflight);
      if (failure) throw failure;
    },
    get published(): number {
      return seq;
    },
  };
}
