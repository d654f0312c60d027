/** Base class: every failure a caller can act on has a stable `code` (also the JSON error code). */
export class QueryApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An options object failed validation; `field` names the offending option. */
export class ConfigError extends QueryApiError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_config', `${field}: ${message}`);
    this.field = field;
  }
}

/** A failure that maps onto one HTTP answer. `headers` are added to the error response. */
export class HttpError extends QueryApiError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(code, message, options);
    this.status = status;
    this.headers = options?.headers ?? {};
  }
}

/** The request (body, query string or path) is invalid; `field` is the JSON path of the culprit. */
export class BadRequestError extends HttpError {
  readonly field: string;
  constructor(field: string, message: string, code = 'invalid_request') {
    super(400, code, field === '' ? message : `${field}: ${message}`);
    this.field = field;
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'missing, unknown or revoked key') {
    super(401, 'unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

/** Unknown resource, or one the caller may not see (same answer, so existence never leaks). */
export class NotFoundError extends HttpError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

/**
 * A field of the body names something that does not exist where the request looks for it
 * (`site_ids[1]: no such site of this merchant`): 404 naming the field. As NotFoundError, the same
 * answer whether it exists elsewhere (another merchant's site) or nowhere.
 */
export class UnknownReferenceError extends HttpError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(404, 'not_found', `${field}: ${message}`);
    this.field = field;
  }
}

export class RateLimitedError extends HttpError {
  constructor(retryAfterSeconds: number, headers: Record<string, string>) {
    super(429, 'rate_limited', `too many requests; retry in ${retryAfterSeconds}s`, {
      headers: { ...headers, 'retry-after': String(retryAfterSeconds) },
    });
  }
}

/**
 * The `Accept` header allows none of the types a route answers in (`available`): 406, with the
 * JSON error body all errors have, since the client named nothing else we could write.
 */
export class NotAcceptableError extends HttpError {
  readonly accept: string;
  readonly available: readonly string[];
  constructor(accept: string, available: readonly string[], headers: Record<string, string> = {}) {
    // The header is echoed only in part: it is the client's text, and can be long.
    const shown = accept.length > 200 ? `${accept.slice(0, 200)}…` : accept;
    super(406, 'not_acceptable', `cannot answer in a type the Accept header allows (${shown}); available: ${available.join(', ')}`, { headers });
    this.accept = accept;
    this.available = available;
  }
}

/**
 * Another key for a group whose index record already holds the most live keys it may (a site's
 * write keys, a merchant's read keys: one record each, see KeyIndex). `group` is the site or merchant.
 */
export class TooManyKeysError extends HttpError {
  readonly group: string;
  constructor(code: string, message: string, group: string) {
    super(409, code, message);
    this.group = group;
  }
}

/** Another write key for a site that already has the most live keys one site may have. */
export class TooManyWriteKeysError extends TooManyKeysError {
  readonly siteId: string;
  constructor(siteId: string, max: number) {
    super('too_many_write_keys', `site ${siteId} already has ${max} live write keys; revoke some first`, siteId);
    this.siteId = siteId;
  }
}

/** Another read key for a merchant that already has the most live read keys one merchant may have. */
export class TooManyReadKeysError extends TooManyKeysError {
  readonly merchantId: string;
  constructor(merchantId: string, max: number) {
    super('too_many_read_keys', `merchant ${merchantId} already has ${max} live read keys; revoke some first`, merchantId);
    this.merchantId = merchantId;
  }
}

/** A cancel (`DELETE /v1/admin/replays/{id}`) of a replay that has already ended: nothing was changed. */
export class ReplayFinishedError extends HttpError {
  readonly replayId: string;
  /** How it ended: `done`, or `failed: <error code>`. */
  readonly outcome: string;
  constructor(replayId: string, outcome: string) {
    super(409, 'replay_finished', `replay ${replayId} has already finished (${outcome}); there is nothing to cancel`);
    this.replayId = replayId;
    this.outcome = outcome;
  }
}

/** ClickHouse or NATS is unreachable or overloaded; the client may retry. */
export class UnavailableError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'unavailable', message, { cause: options?.cause, headers: { 'retry-after': '1' } });
  }
}

const KEY_STORE_UNAVAILABLE_MESSAGE = 'the key store (NATS) is unavailable, retry shortly';

/**
 * NATS (the tenancy store) did not answer a lookup in time, and there was no record confirmed
 * recently enough to answer from instead.
 */
export class KeyStoreUnavailableError extends UnavailableError {
  constructor(options?: { cause?: unknown }) {
    super(KEY_STORE_UNAVAILABLE_MESSAGE, options);
  }
}

/**
 * A replay's state (NATS KV `PULSE_REPLAYS`) could not be read or written because NATS is out of
 * reach: the replay routes' answer then, instead of a 500 that says nothing a client can act on.
 */
export class ReplayStateUnavailableError extends UnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('replay state is kept in NATS, which is unavailable; retry shortly', options);
  }
}

/** A query ran longer than the configured limit. */
export class QueryTimeoutError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(504, 'query_timeout', message, options);
  }
}

/** nats.js error codes that mean NATS (the key store) is briefly out of reach, not that the request is bad. */
const NATS_UNAVAILABLE_CODES = new Set(['TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'DISCONNECT', 'CONNECTION_REFUSED', '503']);

/** An error and its first causes (`cause` of `cause` …), at most five. */
export function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/** Whether `err` (or one of its causes) says NATS is out of reach, as opposed to a request NATS refused. */
export function isNatsUnavailable(err: unknown): boolean {
  return causeChain(err).some((e) => {
    if (e instanceof KeyStoreUnavailableError) return true;
    const { name, code } = e as { name?: unknown; code?: unknown };
    return name === 'NatsError' && NATS_UNAVAILABLE_CODES.has(String(code));
  });
}

/** The HTTP answer for any failure: its own when it has one, 503 when NATS is out of reach, else 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isNatsUnavailable(err)) return new KeyStoreUnavailableError({ cause: err });
  return new HttpError(500, 'internal', 'internal error', { cause: err });
}
