import { createServer } from 'node:net';

/** Why the services cannot listen on a HOST setting, in the words of a config error's `reason`. */
export interface HostProblem {
  reason: string;
  cause: Error;
}

/** getaddrinfo's answers for a name that does not resolve (now or ever). */
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'EAI_AGAIN', 'EAI_FAIL']);
const NOT_LOCAL = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/**
 * Listens on `host` (any port) once, before anything starts: a name that does not resolve, or an
 * address of another machine, otherwise fails deep inside the first service that binds, as a
 * stack trace or as a child process's exit code. Undefined when the host can be listened on, or
 * when it fails for a reason a setting does not explain (the start then reports that itself).
 */
export function hostProblem(host: string): Promise<HostProblem | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (UNRESOLVED.has(code)) resolve({ reason: 'must be a name or address of this machine; it does not resolve', cause: err });
      else if (NOT_LOCAL.has(code)) resolve({ reason: 'must be a name or address of this machine; it is not one of its addresses', cause: err });
      else resolve(undefined);
    });
    srv.listen({ port: 0, host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}
