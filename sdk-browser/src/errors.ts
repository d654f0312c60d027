/** Base class of every error the ESM API throws; `code` is stable, match on it. */
export class PulseError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PulseError';
    this.code = code;
  }
}

/** `init` got an option it cannot use; `field` names it. */
export class PulseConfigError extends PulseError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_option', `pulse: option "${field}" ${message}`);
    this.name = 'PulseConfigError';
    this.field = field;
  }
}

/** `init` was called a second time; one page has one tracker. */
export class PulseAlreadyInitializedError extends PulseError {
  constructor() {
    super('already_initialized', 'pulse: init() was already called on this page');
    this.name = 'PulseAlreadyInitializedError';
  }
}
