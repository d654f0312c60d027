import { BodyError, MAX_EVENTS_PER_BATCH, isPlainObject, type AcceptedEvent, type Rejection } from '@pulse/protocol';
import { validateTranslations, type TranslatedOptions } from '../compat/translated.js';
import type { SegmentEndpoint } from './endpoints.js';
import { segmentTime } from './timestamp.js';
import { translateMessage } from './translate.js';

/** `idAt` takes the message's index in the Segment body. */
export type SegmentReadOptions = TranslatedOptions;

/** A Segment body read into Pulse events; every index is the message's in the Segment body. */
export interface SegmentBatch {
  accepted: AcceptedEvent[];
  /** Refused messages, by index, whether the translation or validation refused them. */
  rejected: Rejection[];
  /** identify, group and alias calls: valid, but no event in Pulse's model. */
  ignored: number;
  /** The messages as decoded, for dead letters. */
  messages: readonly unknown[];
}

/**
 * A decoded Segment body (a batch, or one message for the single-message paths) as Pulse events:
 * each message translated, then all of them through `validateBatch`, the same validation and
 * limits as `POST /v1/batch`. A body that is not one at all throws BodyError.
 */
export function readSegmentBody(body: unknown, endpoint: SegmentEndpoint, o: SegmentReadOptions): SegmentBatch {
  if (!isPlainObject(body)) {
    throw new BodyError('not_a_batch', endpoint === 'batch' ? 'a Segment batch is an object {batch: [...]}' : 'a Segment message is an object');
  }
  let messages: unknown[];
  let sentAt: number | undefined;
  let batchContext: Record<string, unknown> | undefined;
  if (endpoint === 'batch') {
    if (!Array.isArray(body.batch)) throw new BodyError('not_a_batch', 'body.batch must be an array of Segment messages');
    messages = body.batch;
    if (messages.length > MAX_EVENTS_PER_BATCH) {
      throw new BodyError('too_many_events', `a batch holds at most ${MAX_EVENTS_PER_BATCH} messages, got ${messages.length}`);
    }
    const s = segmentTime(body.sentAt);
    if (s === 'invalid' || (s !== 'absent' && s <= 0)) throw new BodyError('invalid_sent_at', 'sentAt must be an ISO 8601 date-time');
    sentAt = s === 'absent' ? undefined : s;
    batchContext = isPlainObject(body.context) ? body.context : undefined;
  } else {
    // The body is the message: its sentAt and context are its own.
    messages = [body];
  }

  const scope = { batchContext, sentAt, receivedAt: o.receivedAt };
  const pathType = endpoint === 'batch' ? undefined : endpoint;
  const { accepted, rejected, ignored } = validateTranslations(
    messages.map((m) => translateMessage(m, pathType, scope)),
    o,
  );
  return { accepted, rejected, ignored: ignored.length, messages };
}

/**
 * A refused message as kept in the dead letters: as sent, without `context.ip`. The stream never
 * holds a raw IP (DESIGN), and Segment messages may carry the visitor's in their context.
 */
export function deadLetterMessage(msg: unknown): unknown {
  if (!isPlainObject(msg) || !isPlainObject(msg.context) || !('ip' in msg.context)) return msg;
  const { ip: _ip, ...context } = msg.context;
  return { ...msg, context };
}
