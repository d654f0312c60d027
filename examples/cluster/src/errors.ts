export const HAPROXY_INSTALL_HINT = 'apt-get install -y haproxy';

/** An option failed validation; `field` names it. */
export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
  readonly code = 'CLUSTER_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
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

/** A service process exited or did not become ready in time (shared with the embedded launcher). */
export { ServiceStartError } from '@pulse/embedded';
