/** Failures a caller of this package can act on. Each has a stable `code`. */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** A port the settings name cannot be listened on (taken, or not allowed); `setting` says which variable gave it. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  readonly code = 'listen_failed';
  constructor(
    readonly setting: string,
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause as { message?: unknown } | undefined;
    super(`${setting}: cannot listen on ${host}:${port} (${String(cause?.message ?? cause)})`, options);
  }
}

/** JetStream cannot take the batch now (down, slow, or the queue is full): answer 503 and let the client retry. */
export class StreamUnavailableError extends Error {
  override readonly name = 'StreamUnavailableError';
  readonly code = 'stream_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One request's record does not fit in a JetStream message of this server. */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
  readonly code = 'record_too_large';
  constructor(message: string) {
    super(message);
  }
}

/** The key registry could not be read (NATS unreachable); the key is neither known nor unknown. */
export class KeyLookupError extends Error {
  override readonly name = 'KeyLookupError';
  readonly code = 'key_lookup_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The collector is draining and takes no new work. */
export class DrainingError extends Error {
  override readonly name = 'DrainingError';
  readonly code = 'draining';
  constructor() {
    super('the collector is shutting down');
  }
}
