import { headers } from 'nats';
import type { AnyStreamRecord } from '@pulse/protocol';
import { DLQ_COLLECTOR_SUBJECT, EVENTS_INGEST_SUBJECT } from '@pulse/protocol';
import { encodeMsgpack, expandRawRecord, isRawRecord } from '@pulse/protocol/codec';
import { PublishError, type StreamPublisher } from '@pulse/protocol/publisher';
import { StreamUnavailableError } from '../errors.js';
import type { CollectorMetrics } from '../core/metrics.js';
import type { DeadLetter, EventSink } from '../core/types.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';

export interface JetStreamSinkOptions extends GroupCommitOptions {
  publishTimeoutMs: number;
  instanceId: string;
  /** Called when a publish finds no stream listening (deleted, or a fresh server): recreate it. */
  onNoStream?: () => void;
}

/**
 * No stream took the message: nobody listens on the subject (the stream was deleted, or a fresh
 * server), or JetStream answered 503 (briefly without a leader). Worth retrying, and worth making
 * sure the streams exist.
 */
function noStream(e: unknown): boolean {
  return e instanceof PublishError && (e.code === 'no_responders' || (e.code === 'refused' && e.status === 503));
}

/** Header room kept free under max_payload (Nats-Msg-Id and protocol framing). */
export const HEADER_ROOM_BYTES = 4096;

/** Accepted records go through the group committer to `events.ingest`; dead letters straight to `dlq.collector`. */
export class JetStreamSink implements EventSink {
  private readonly committer: GroupCommitter;
  private dlqSeq = 0;
  private dlqInFlight = 0;

  constructor(
    private readonly publisher: StreamPublisher,
    private readonly maxPayload: () => number,
    private readonly available: () => boolean,
    private readonly o: JetStreamSinkOptions,
    private readonly metrics?: CollectorMetrics,
  ) {
    this.committer = new GroupCommitter(
      o,
      (data, msgId) => this.publishWithRetry(data, msgId),
      o.instanceId,
      () => this.maxPayload() - HEADER_ROOM_BYTES,
      available,
      metrics,
    );
  }

  /**
   * A timed-out publish may still have been stored; retrying with the same
   * Nats-Msg-Id lets the stream drop the copy. "No responders" means the stream
   * leader is briefly missing (restart, election). Both are retried while the
   * time budget lasts and NATS is connected.
   */
  private async publishWithRetry(data: Uint8Array, msgID: string): Promise<void> {
    const deadline = performance.now() + this.o.publishTimeoutMs;
    const attemptTimeout = Math.max(250, Math.ceil(this.o.publishTimeoutMs / 2));
    const h = headers();
    h.set('Nats-Msg-Id', msgID);
    for (;;) {
      const remaining = deadline - performance.now();
      try {
        await this.publisher.publish(EVENTS_INGEST_SUBJECT, data, { headers: h, timeoutMs: Math.max(1, Math.min(attemptTimeout, Math.floor(remaining))) });
        return;
      } catch (e) {
        const missing = noStream(e);
        if (missing) this.o.onNoStream?.();
        const retriable = missing || (e instanceof PublishError && e.code === 'timeout');
        const left = deadline - performance.now();
        if (!retriable || !this.available() || left < 150) throw e;
        await new Promise((r) => setTimeout(r, Math.min(100, left / 4)));
      }
    }
  }

  publishRecord(record: AnyStreamRecord): Promise<void> {
    const data = encodeMsgpack(record);
    if (!isRawRecord(record)) return this.committer.submit(data, false);
    // A body bloated with fields validation drops (or JSON, larger than msgpack) may not fit a
    // message on a server with a small max_payload where its events would: re-encode them then.
    if (data.byteLength > this.committer.recordLimitBytes()) return this.committer.submit(encodeMsgpack(expandRawRecord(record)), false);
    return this.committer.submit(data, true);
  }

  publishDeadLetter(letter: DeadLetter): Promise<void> {
    if (!this.available()) return Promise.reject(new StreamUnavailableError('NATS is unreachable or not answering'));
    // Dead letters are published one per request; bound them like the main path.
    if (this.dlqInFlight >= this.o.maxInFlight * 8) return Promise.reject(new StreamUnavailableError('too many dead letters in flight; retry later'));
    // Encoded here, synchronously, so the decoded events are not kept alive while the PubAck is awaited.
    return this.sendDeadLetter(this.encodeLetter(letter), letter.site_id, letter.items.length);
  }

  private async sendDeadLetter(data: Uint8Array, siteId: string, count: number): Promise<void> {
    const h = headers();
    h.set('Pulse-Site-Id', siteId);
    this.dlqInFlight++;
    try {
      h.set('Nats-Msg-Id', `${this.o.instanceId}-dlq-${++this.dlqSeq}`);
      await this.publisher.publish(DLQ_COLLECTOR_SUBJECT, data, { headers: h, timeoutMs: this.o.publishTimeoutMs });
    } catch (e) {
      if (noStream(e)) this.o.onNoStream?.();
      throw new StreamUnavailableError(`dead letter publish failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    } finally {
      this.dlqInFlight--;
    }
    this.metrics?.deadLetters.inc(count);
  }

  /** Resolves once every queued record has its PubAck (or its error). */
  flush(): Promise<void> {
    return this.committer.flush();
  }

  private encodeLetter(letter: DeadLetter): Uint8Array {
    const limit = this.maxPayload() - HEADER_ROOM_BYTES;
    try {
      const data = encodeMsgpack(letter);
      if (data.byteLength <= limit) return data;
    } catch {
      // Pathological values (cycles cannot occur, but huge nesting can): keep the reasons without the bodies.
    }
    return encodeMsgpack({ ...letter, items: letter.items.map((i) => ({ index: i.index, reason: i.reason, event: null, omitted: 'too large to keep' })) });
  }
}
