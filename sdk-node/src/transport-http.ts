import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpReply, Transport } from './transport.js';

/** Answers larger than this are cut: a batch reply is a few KiB at most. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * node:http with a keep-alive Agent: on Node it beats the global fetch for these small
 * POSTs (`node bench/run.mjs 50000 pulse,pulse-fetch`: ~1.6× the events/s at half the
 * CPU), since it skips the WHATWG stream layers.
 */
export function createHttpTransport(maxSockets: number): Transport {
  const agentOpts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  const httpAgent = new HttpAgent(agentOpts);
  const httpsAgent = new HttpsAgent(agentOpts);
  return {
    kind: 'http',
    post(url, headers, body, signal) {
      return new Promise<HttpReply>((resolve, reject) => {
        const https = url.protocol === 'https:';
        const req = (https ? httpsRequest : httpRequest)(url, {
          method: 'POST',
          agent: https ? httpsAgent : httpAgent,
          headers: { ...headers, 'content-length': String(body.byteLength) },
          signal,
        });
        req.on('error', reject);
        req.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_REPLY_BYTES) chunks.push(c);
          });
          res.on('error', reject);
          // Cut off mid-answer (abort, a collector killed): 'close' comes without 'end'.
          res.on('close', () => {
            if (!res.complete) reject(new Error('connection closed before the answer was complete'));
          });
          res.on('end', () => {
            const ra = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: typeof ra === 'string' ? ra : null,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        });
        req.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
