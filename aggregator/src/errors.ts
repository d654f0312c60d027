/** Base class: every failure a caller of this package can act on has a stable `code`. */
export class AggregatorError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An options object failed validation; `field` names the offending option. */
export class ConfigError extends AggregatorError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_config', `${field}: ${message}`);
    this.field = field;
  }
}

/** ClickHouse (server or chDB) rejected or could not run a statement. Retrying may help when `retryable`. */
export class StorageError extends AggregatorError {
  readonly retryable: boolean;
  /** ClickHouse's numeric error code (e.g. "60" unknown table) when the engine answered. */
  readonly clickhouseCode: string | undefined;
  constructor(message: string, options: { cause?: unknown; retryable: boolean; clickhouseCode?: string | undefined }) {
    super(options.retryable ? 'storage_unavailable' : 'storage_query_failed', message, { cause: options.cause });
    this.retryable = options.retryable;
    this.clickhouseCode = options.clickhouseCode;
  }
}

/** A schema migration failed; the `version` is not recorded as applied. */
export class MigrationError extends AggregatorError {
  readonly version: string;
  constructor(version: string, message: string, options?: { cause?: unknown }) {
    super('migration_failed', `migration ${version}: ${message}`, options);
    this.version = version;
  }
}

/** A stream message that can never be stored (undecodable or breaking the record contract): goes to the DLQ. */
export class PoisonMessageError extends AggregatorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('poison_message', message, options);
  }
}

/**
 * A replay could not run or was stopped: `code` is `cancelled`, `fence_timeout`, `invalid_range`,
 * `stream_unavailable`, `swap_failed`, … (the HTTP layer answers 400 for `invalid_range`).
 */
export class ReplayError extends AggregatorError {}

/** A replay overlapping this one (time range and site) is running; the HTTP layer answers 409. */
export class ReplayConflictError extends AggregatorError {
  readonly conflictingReplayId: string;
  constructor(conflictingReplayId: string, message: string) {
    super('replay_conflict', message);
    this.conflictingReplayId = conflictingReplayId;
  }
}

/** No replay with that id (the HTTP layer answers 404). */
export class ReplayNotFoundError extends AggregatorError {
  constructor(replayId: string) {
    super('replay_not_found', `no replay ${replayId}`);
  }
}

/**
 * A pull from the durable consumer failed (consumer or stream gone, JetStream unavailable): re-create
 * and retry. `cause` is the nats.js error when NATS itself did not answer (no ping answer, no
 * responders), so the consume loop can tell an outage from a missing consumer.
 */
export class PullFailedError extends AggregatorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pull_failed', message, options);
  }
}

/**
 * A compare-and-set write to NATS KV failed: `kv_conflict` (the key's revision moved on: re-read
 * and retry), `kv_timeout`, `kv_unavailable` (no answer, refused, or the writer closed) or
 * `kv_invalid_key`.
 */
export class KvCasError extends AggregatorError {}

/**
 * The replay CLI was not told how to reach the data (`no_replay_target`: neither an admin token for
 * the query API nor NATS_URL for a direct replay), or a direct replay's chDB directory holds no
 * data (`no_chdb_data`). The CLI prints the ways to reach the data and exits 2 (bad usage).
 */
export class ReplayTargetError extends AggregatorError {}

/** The replay CLI could not reach the query API at `url` (nothing listening, wrong port or host). */
export class QueryApiUnreachableError extends AggregatorError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('query_api_unreachable', message, options);
    this.url = url;
  }
}

/**
 * The replay CLI's query API URL answers, but not as Pulse's query API (say QUERY_PORT is the
 * collector's port): a setting to correct, so the CLI exits 2 (bad usage), like `no_replay_target`.
 */
export class NotQueryApiError extends AggregatorError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('not_query_api', message, options);
    this.url = url;
  }
}

/** A replay of one site (`--site`) that does not exist: an argument to correct, exit 2 (bad usage). */
export class UnknownSiteError extends AggregatorError {
  readonly siteId: string;
  constructor(siteId: string, message: string, options?: { cause?: unknown }) {
    super('unknown_site', message, options);
    this.siteId = siteId;
  }
}

/** A direct replay could not connect to NATS at `servers` (NATS_URL). */
export class NatsUnreachableError extends AggregatorError {
  readonly servers: readonly string[];
  constructor(servers: readonly string[], message: string, options?: { cause?: unknown }) {
    super('nats_unreachable', message, options);
    this.servers = servers;
  }
}
