/** A benchmark cannot run as asked (bad option, missing tool); the message says what to change. */
export class BenchConfigError extends Error {
  readonly code = 'bench_config';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'BenchConfigError';
  }
}

/** A benchmark ran but its result is not trustworthy (lost events, timeout, a child failed). */
export class BenchFailedError extends Error {
  readonly code = 'bench_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchFailedError';
  }
}
