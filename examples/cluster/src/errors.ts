export const HAPROXY_INSTALL_HINT = 'apt-get install -y haproxy';

/** An option failed validation; `field` names it, `reason` says what it must be, `got` what it was. */
export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
  readonly code = 'CLUSTER_CONFIG';
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly got?: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}${got === undefined ? '' : `, got ${got}`}`, options);
  }
}

/** HAProxy (the load balancer in front of the collectors) is not installed. */
export class HaproxyNotFoundError extends Error {
  override readonly name = 'HaproxyNotFoundError';
  readonly code = 'HAPROXY_NOT_FOUND';
  constructor(searched: string[]) {
    super(
      `haproxy was not found (looked in HAPROXY_BIN and ${searched.join(', ')}). ` +
        `Install it with: ${HAPROXY_INSTALL_HINT}  (or set HAPROXY_BIN to its path)`,
    );
  }
}

/**
 * Shared with the embedded launcher: a service process exited or did not become ready in time; a
 * port is held by another process; another live run owns the data dir.
 */
export { ServiceStartError, PortInUseError, DataDirBusyError } from '@pulse/embedded';
