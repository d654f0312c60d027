import { readFileSync } from 'node:fs';
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

/** Where the kernel's ephemeral range starts when /proc does not say (Linux's default). */
const DEFAULT_EPHEMERAL_LOW = 32768;
/** The lowest port servicePorts hands out: above the well-known and most registered ones. */
const LOWEST_PORT = 20000;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST_PORT + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Free ports for the services of a launch that kills and restarts them, taken below the kernel's
 * ephemeral range. freePort hands out ports from that range, where, between the pick and
 * a (re)start's bind, a nats-server's "any port" (its monitoring port), another process's
 * bind(0), or a client reconnecting to a dead port (which can end up connected to itself) may take
 * the same port: the start then fails with EADDRINUSE.
 */
export async function servicePorts(n: number): Promise<number[]> {
  const high = ephemeralLow();
  const ports: number[] = [];
  while (ports.length < n) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (high - LOWEST_PORT));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}
