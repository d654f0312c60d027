import { NatsUrlError } from './errors.js';

/** NATS_URL when unset: a nats-server on this machine, on its own default port. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

const SERVER_URL = /^(nats|tls):\/\/[^\s/]+$/;
const HOST_PORT = /^[^\s/:]+:\d+$/;

/**
 * The servers of a comma-separated NATS_URL (`nats://host:port`, `tls://host:port` or `host:port`
 * each; unset or empty: DEFAULT_NATS_URL). Checked before a service starts: nats.js would refuse a
 * malformed one only at connect time, where the services retry what fails (forever, for this).
 */
export function parseNatsUrl(raw: string | undefined): string[] {
  const servers = (raw || DEFAULT_NATS_URL).split(',').map((s) => s.trim());
  for (const s of servers) {
    if (!SERVER_URL.test(s) && !HOST_PORT.test(s)) throw new NatsUrlError(s);
  }
  return servers;
}
