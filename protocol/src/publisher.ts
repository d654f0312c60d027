import { createInbox, type MsgHdrs, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';

/**
 * Why a JetStream publish failed:
 * - `timeout`: no answer in time (the message may still have been stored; a retry with the same
 *   Nats-Msg-Id is dropped by the stream's duplicate window);
 * - `no_responders`: no stream listens on the subject (deleted, or its leader is moving);
 * - `refused`: the stream answered with an error (`apiCode`: JetStream's `err_code`);
 * - `unavailable`: the connection failed, or the answer could not be read;
 * - `closed`: the publisher was closed.
 */
export type PublishErrorCode = 'timeout' | 'no_responders' | 'refused' | 'unavailable' | 'closed';

export class PublishError extends Error {
  override readonly name = 'PublishError';
  /** JetStream's `err_code` when the stream refused the message (`10071`: wrong last sequence). */
  readonly apiCode: number | undefined;
  /** The HTTP-like `code` of a refusal (503: JetStream is briefly unavailable, worth retrying). */
  readonly status: number | undefined;

  constructor(
    readonly code: PublishErrorCode,
    message: string,
    options?: { cause?: unknown; apiCode?: number; status?: number },
  ) {
    super(message, options);
    this.apiCode = options?.apiCode;
    this.status = options?.status;
  }
}

/** What JetStream answers a stored message with. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export interface StreamPublisher {
  /** Publishes to a stream's subject and resolves with its acknowledgement. */
  publish(subject: string, data: Uint8Array, opts?: { headers?: MsgHdrs; timeoutMs?: number }): Promise<PubAck>;
  /** Stops listening for answers; publishes still waiting fail with `closed`. */
  close(): void;
}

/** How long a publish waits for its acknowledgement unless told otherwise. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
/** How often waiting publishes are checked for their deadline: a timeout fires up to this late. */
export const PUBLISH_SWEEP_MS = 50;

interface Waiting {
  resolve(ack: PubAck): void;
  reject(err: Error): void;
  deadline: number;
}

/**
 * What `js.publish()` does, without nats.js's per-call machinery: it makes a request object, a
 * timer and an error object (with its stack) for every publish, which was a tenth of a busy
 * collector's CPU and most of a KV write's. Here: one plain publish per message with a reply
 * subject under one inbox, answers on one wildcard subscription, deadlines checked by one
 * interval. Measured (sixth session, KV compare-and-set): ~7 µs of CPU per write against 21–29 µs.
 */
export function streamPublisher(nc: NatsConnection, opts: { timeoutMs?: number } = {}): StreamPublisher {
  const defaultTimeout = opts.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  const inbox = createInbox();
  const idStart = inbox.length + 1;
  const waiting = new Map<number, Waiting>();
  let nextId = 0;
  let closed = false;

  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const answer = (err: NatsError | null, m: Msg) => {
    if (err) return failAll(new PublishError('unavailable', `publish answers: ${err.message}`, { cause: err }));
    const id = Number(m.subject.slice(idStart));
    const w = waiting.get(id);
    if (!w) return; // timed out already
    waiting.delete(id);
    if (m.headers?.hasError) {
      const code = m.headers.code === 503 ? 'no_responders' : 'unavailable';
      return w.reject(new PublishError(code, `publish: ${m.headers.code} ${m.headers.description}`));
    }
    let ack: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: { err_code?: number; code?: number; description?: string } };
    try {
      ack = m.json();
    } catch (cause) {
      return w.reject(new PublishError('unavailable', 'publish: unreadable acknowledgement', { cause }));
    }
    if (ack.error) {
      const { err_code: apiCode, code: status } = ack.error;
      return w.reject(new PublishError('refused', `publish refused: ${ack.error.description ?? 'unknown error'} (${apiCode ?? status ?? '?'})`, { apiCode, status }));
    }
    if (typeof ack.seq !== 'number' || typeof ack.stream !== 'string') return w.reject(new PublishError('unavailable', 'publish: acknowledgement without a sequence'));
    w.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
  };
  const sub: Subscription = nc.subscribe(`${inbox}.*`, { callback: answer });
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [id, w] of waiting) {
      if (w.deadline > now) continue;
      waiting.delete(id);
      w.reject(new PublishError('timeout', 'publish: no acknowledgement in time'));
    }
  }, PUBLISH_SWEEP_MS);
  sweep.unref();

  return {
    publish(subject, data, o = {}) {
      if (closed) return Promise.reject(new PublishError('closed', 'publisher closed'));
      const id = ++nextId;
      return new Promise<PubAck>((resolve, reject) => {
        waiting.set(id, { resolve, reject, deadline: performance.now() + (o.timeoutMs ?? defaultTimeout) });
        try {
          nc.publish(subject, data, { reply: `${inbox}.${id}`, ...(o.headers ? { headers: o.headers } : {}) });
        } catch (cause) {
          waiting.delete(id);
          reject(new PublishError('unavailable', `publish to ${subject} failed`, { cause }));
        }
      });
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      sub.unsubscribe();
      failAll(new PublishError('closed', 'publisher closed'));
    },
  };
}
