/** Why a whole request body was refused; maps one to one onto an HTTP status. */
export type BodyErrorCode =
  | 'invalid_json'
  | 'invalid_msgpack'
  | 'invalid_utf8'
  | 'not_a_batch'
  | 'invalid_sent_at'
  | 'too_many_events'
  | 'body_too_large'
  | 'unsupported_media_type';

export const BODY_ERROR_STATUS: Record<BodyErrorCode, number> = {
  invalid_json: 400,
  invalid_msgpack: 400,
  invalid_utf8: 400,
  not_a_batch: 400,
  invalid_sent_at: 400,
  too_many_events: 413,
  body_too_large: 413,
  unsupported_media_type: 415,
};

export class BodyError extends Error {
  override readonly name = 'BodyError';
  readonly status: number;
  constructor(
    readonly code: BodyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = BODY_ERROR_STATUS[code];
  }
}

export class StreamMessageError extends Error {
  override readonly name = 'StreamMessageError';
  readonly code = 'invalid_stream_message';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An entry of a comma-separated NATS_URL is not a server address; `entry` is the culprit. */
export class NatsUrlError extends Error {
  override readonly name = 'NatsUrlError';
  readonly code = 'invalid_nats_url';
  constructor(
    readonly entry: string,
    options?: { cause?: unknown },
  ) {
    super(`must be comma-separated nats://host:port URLs, got ${JSON.stringify(entry)}`, options);
  }
}
