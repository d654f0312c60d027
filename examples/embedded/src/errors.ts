/** An option failed validation; `field` names it, `reason` says what it must be, `got` what it was. */
export class EmbeddedConfigError extends Error {
  override readonly name = 'EmbeddedConfigError';
  readonly code = 'EMBEDDED_CONFIG';
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly got?: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}${got === undefined ? '' : `, got ${got}`}`, options);
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

/** A port a service needs is held by another process; `field` is the option that sets it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'PORT_IN_USE';
  constructor(
    readonly port: number,
    readonly host: string,
    readonly service: string,
    readonly field: string,
  ) {
    super(
      `port ${port} on ${host} (${service}) is already in use by another process: stop that process ` +
        `(find it with: ss -ltnp 'sport = :${port}') or choose another port (${field})`,
    );
  }
}

/** Another live run (this launcher or an earlier one still running) owns the data dir. */
export class DataDirBusyError extends Error {
  override readonly name = 'DataDirBusyError';
  readonly code = 'DATA_DIR_BUSY';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`${dataDir} is in use by another running Pulse (pid ${pid}): stop that one first (Ctrl-C in its terminal, or kill ${pid}), or use another data dir`);
  }
}
