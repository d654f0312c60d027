import { createServer } from 'node:net';
import { PortInUseError } from './errors.js';

/** A port a service is about to listen on, and the option that sets it. */
export interface PortUse {
  port: number;
  host: string;
  service: string;
  field: string;
}

function tryListen(port: number, host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/**
 * Fails with the port's name when another process holds one, before anything starts: a
 * nats-server that cannot bind its port has opened its store already, and the collector's error
 * comes from a child process.
 */
export async function assertPortsFree(uses: readonly PortUse[]): Promise<void> {
  for (const use of uses) {
    if (use.port === 0) continue;
    const err = await tryListen(use.port, use.host);
    if (err?.code === 'EADDRINUSE') throw new PortInUseError(use.port, use.host, use.service, use.field);
  }
}
