import { createServer } from 'node:net';

// Ports this process has handed out: the kernel may give a just-closed port again, and a test
// that asks for several ports one after the other (a cluster's) must not get the same one twice.
const handedOut = new Set<number>();

function bindAny(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1, never one this process got before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await bindAny();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
