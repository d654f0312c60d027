import type { HttpReply, Transport } from './transport.js';

/**
 * The global fetch: Bun's native one, undici's on Node. Both pool keep-alive
 * connections per origin on their own.
 */
export function createFetchTransport(): Transport {
  return {
    kind: 'fetch',
    async post(url, headers, body, signal): Promise<HttpReply> {
      const res = await fetch(url, { method: 'POST', headers, body, signal });
      const text = await res.text();
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text };
    },
    close() {
      // fetch owns its pool; idle sockets time out on their own and do not hold the process.
    },
  };
}
