export class EmbeddedConfigError extends Error {
  override readonly name = 'EmbeddedConfigError';
  readonly code = 'EMBEDDED_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  readonly code = 'SERVICE_START_FAILED';
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${message}`, options);
  }
}
