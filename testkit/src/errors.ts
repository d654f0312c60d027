export const NATS_INSTALL_HINT = 'apt-get install -y nats-server';

export class NatsServerNotFoundError extends Error {
  override readonly name = 'NatsServerNotFoundError';
  readonly code = 'NATS_SERVER_NOT_FOUND';
  constructor(searched: string[]) {
    super(
      `nats-server was not found (looked in NATS_SERVER_BIN and ${searched.join(', ')}). ` +
        `Install it with: ${NATS_INSTALL_HINT}  (or set NATS_SERVER_BIN to its path)`,
    );
  }
}

export class NatsServerStartError extends Error {
  override readonly name = 'NatsServerStartError';
  readonly code = 'NATS_SERVER_START_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
