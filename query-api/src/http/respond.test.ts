import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toHttpError } from '../errors.js';
import { readJson, sendError, sendJson } from './respond.js';

const MAX = 1024;
let server: Server | undefined;
/** What the handler's readJson ended with, per request. */
let outcomes: Array<{ body?: unknown; status?: number; code?: string }> = [];

/** `delayMs`: the handler reads the body only after this long, as one that first checks the key. */
async function listen(delayMs = 0): Promise<number> {
  outcomes = [];
  server = createServer(async (req, res) => {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    readJson(req, MAX).then(
      (body) => {
        outcomes.push({ body });
        sendJson(res, 200, { body });
      },
      (err: unknown) => {
        const e = toHttpError(err);
        outcomes.push({ status: e.status, code: e.code });
        if (!res.destroyed) sendError(res, e);
      },
    );
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return (server?.address() as AddressInfo).port;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** Sends `chunks` one write at a time (chunked encoding unless a length is given); resolves with the answer. */
function post(port: number, chunks: string[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

/** Sends part of a body, then closes the connection. */
function leaveMidBody(port: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-type': 'application/json' } });
    req.on('error', () => resolve());
    req.write('{"a":');
    setTimeout(() => req.destroy(), 50);
  });
}

describe('readJson', () => {
  it('reads a body sent in several writes', async () => {
    const port = await listen();
    const r = await post(port, ['{"a":', '[1,2,', '3]}']);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ body: { a: [1, 2, 3] } });
  });

  it('takes an empty body as {}', async () => {
    const port = await listen();
    const r = await post(port, []);
    expect(JSON.parse(r.body)).toEqual({ body: {} });
  });

  it('answers 413 to a body over the limit that declared no length, on the same connection', async () => {
    const port = await listen();
    const r = await post(port, ['{"a":"', 'x'.repeat(MAX), '"}']);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('payload_too_large');
  });

  it('answers 413 before reading a body whose declared length is over the limit', async () => {
    const port = await listen();
    const body = `{"a":"${'x'.repeat(MAX)}"}`;
    const r = await post(port, [body], { 'content-length': String(Buffer.byteLength(body)) });
    expect(r.status).toBe(413);
  });

  it('answers 400 invalid_json to a body that is not JSON', async () => {
    const port = await listen();
    const r = await post(port, ['{"a":']);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.code).toBe('invalid_json');
  });

  it('ends with client_closed_request when the client goes away mid-body', async () => {
    const port = await listen();
    await leaveMidBody(port);
    await expect.poll(() => outcomes.length, { timeout: 5_000 }).toBe(1);
    expect(outcomes[0]).toEqual({ status: 499, code: 'client_closed_request' });
  });

  it('ends with client_closed_request when the client went away before the body was read', async () => {
    const port = await listen(300);
    await leaveMidBody(port);
    await expect.poll(() => outcomes.length, { timeout: 5_000 }).toBe(1);
    expect(outcomes[0]).toEqual({ status: 499, code: 'client_closed_request' });
  });
});
