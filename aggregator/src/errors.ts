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
