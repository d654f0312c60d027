import { RecordTooLargeError, StreamUnavailableError } from '../errors.js';
import type { CollectorMetrics } from '../core/metrics.js';
import { FRAME_OVERHEAD, frameStreamMessage } from './framing.js';

export interface GroupCommitOptions {
  /** Target message size; a lone record may exceed it up to `hardLimitBytes()`. */
  maxMessageBytes: number;
  lingerMs: number;
  maxInFlight: number;
  maxQueuedBytes: number;
  /** A record not yet handed to NATS after this long fails with StreamUnavailableError. */
  queueTimeoutMs: number;
}

/** Publishes one framed message with the given Nats-Msg-Id; resolves on PubAck, throws otherwise. */
export type PublishMessage = (data: Uint8Array, msgId: string) => Promise<void>;

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Group {
  records: Uint8Array[];
  /** Holds a raw record: framed as a version 2 message. */
  raw: boolean;
  bytes: number;
  waiters: Waiter[];
  deadline: number;
}

const emptyGroup = (): Group => ({ records: [], raw: false, bytes: 0, waiters: [], deadline: 0 });

/**
 * Coalesces concurrent requests' records into few JetStream messages. When no
 * publish is in flight a record leaves at the end of the current event-loop
 * turn; otherwise records gather while the previous PubAck is awaited (at most
 * `lingerMs`), so batches grow with load and latency stays ~one round trip. A request
 * resolves only when the PubAck of the message holding its record arrives.
 * Memory is bounded by `maxQueuedBytes` (beyond it: StreamUnavailableError at
 * once) plus `maxInFlight` messages.
 */
export class GroupCommitter {
  private open: Group = emptyGroup();
  private readonly ready: Group[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly publishOk: { observe(v: number): void } | undefined;
  private readonly publishError: { observe(v: number): void } | undefined;

  constructor(
    private readonly o: GroupCommitOptions,
    private readonly publish: PublishMessage,
    private readonly msgIdPrefix: string,
    /** Bytes the server takes in one message (max_payload minus header room). */
    private readonly hardLimitBytes: () => number,
    /** False while NATS is disconnected: fail fast instead of queueing. */
    private readonly available: () => boolean,
    private readonly metrics?: CollectorMetrics,
  ) {
    if (metrics) {
      metrics.probes.queuedBytes = () => this.queuedBytes;
      metrics.probes.inflightPublishes = () => this.inFlight;
    }
    this.publishOk = metrics?.publishSeconds.labels('ok');
    this.publishError = metrics?.publishSeconds.labels('error');
  }

  /** The largest encoded record a message can hold. */
  recordLimitBytes(): number {
    return this.hardLimitBytes() - FRAME_OVERHEAD;
  }

  /** Queues an encoded record (`raw`: a RawStreamRecord); resolves after its PubAck. */
  submit(record: Uint8Array, raw = false): Promise<void> {
    const hard = this.recordLimitBytes();
    if (record.byteLength > hard) {
      return Promise.reject(new RecordTooLargeError(`the encoded batch is ${record.byteLength} bytes; a stream message holds at most ${hard}`));
    }
    if (!this.available()) return Promise.reject(new StreamUnavailableError('NATS is unreachable or not answering'));
    if (this.queuedBytes + record.byteLength > this.o.maxQueuedBytes) {
      return Promise.reject(new StreamUnavailableError('the publish queue is full; retry later'));
    }
    const target = Math.min(this.o.maxMessageBytes, hard);
    if (this.open.records.length > 0 && this.open.bytes + record.byteLength > target) this.seal();
    return new Promise<void>((resolve, reject) => {
      if (this.open.records.length === 0) this.open.deadline = performance.now() + this.o.queueTimeoutMs;
      this.open.records.push(record);
      this.open.raw ||= raw;
      this.open.bytes += record.byteLength;
      this.open.waiters.push({ resolve, reject });
      this.queuedBytes += record.byteLength;
      if (this.open.bytes >= target) this.seal();
      else if (this.timer === undefined && this.immediate === undefined) {
        // Idle pipe: send what this event-loop turn produced right away. Busy pipe:
        // gather until a publish completes (see send) or the linger time is up.
        if (this.inFlight === 0) {
          this.immediate = setImmediate(() => {
            this.immediate = undefined;
            this.seal();
          });
        } else {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.seal();
          }, this.o.lingerMs);
        }
      }
    });
  }

  /** Seals what is open and resolves when nothing is queued or in flight. */
  flush(): Promise<void> {
    this.seal();
    if (this.inFlight === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    if (this.open.records.length === 0) return;
    this.ready.push(this.open);
    this.open = emptyGroup();
    this.pump();
  }

  private pump(): void {
    while (this.ready.length > 0 && this.inFlight < this.o.maxInFlight) {
      const g = this.ready.shift() as Group;
      this.queuedBytes -= g.bytes;
      const late = performance.now() > g.deadline;
      if (late || !this.available()) {
        const err = new StreamUnavailableError(late ? 'JetStream is too slow; retry later' : 'NATS is unreachable or not answering');
        for (const w of g.waiters) w.reject(err);
        continue;
      }
      this.inFlight++;
      void this.send(g);
    }
    if (this.inFlight === 0 && this.ready.length === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }

  private async send(g: Group): Promise<void> {
    const data = frameStreamMessage(g.records, g.bytes, g.raw ? 2 : 1);
    const msgId = `${this.msgIdPrefix}-${++this.seq}`;
    const started = performance.now();
    try {
      await this.publish(data, msgId);
      this.publishOk?.observe((performance.now() - started) / 1000);
      this.metrics?.messageRecords.observe(g.records.length);
      this.metrics?.messageBytes.observe(data.byteLength);
      for (const w of g.waiters) w.resolve();
    } catch (e) {
      this.publishError?.observe((performance.now() - started) / 1000);
      const err = e instanceof StreamUnavailableError ? e : new StreamUnavailableError(`JetStream publish failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      for (const w of g.waiters) w.reject(err);
    } finally {
      this.inFlight--;
      // A slot is free: what gathered meanwhile goes now (group commit sized by load).
      if (this.open.records.length > 0) this.seal();
      else this.pump();
    }
  }
}
