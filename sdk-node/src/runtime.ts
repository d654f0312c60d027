import type { TransportKind } from './options.js';
import type { Transport } from './transport.js';
import { createFetchTransport } from './transport-fetch.js';
import { createHttpTransport } from './transport-http.js';

/** True under Bun, whose node:http is a shim over its (faster) native fetch. */
export function isBun(): boolean {
  return typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
}

export function createTransport(kind: TransportKind, maxSockets: number): Transport {
  const chosen = kind === 'auto' ? (isBun() ? 'fetch' : 'http') : kind;
  return chosen === 'fetch' ? createFetchTransport() : createHttpTransport(maxSockets);
}
