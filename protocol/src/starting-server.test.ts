import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createStartingServer, DEFAULT_STARTING_PHASE, DEFAULT_STARTING_RETRY_AFTER_SEC, serve, type StartingServer } from './starting-server.js';

const HOST = '127.0.0.1';
let open: StartingServer[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function starting(extra: { phase?: string; retryAfterSec?: number } = {}) {
  const s = createStartingServer({ name: 'aggregator', metricsPrefix: 'pulse_aggregator', port: 0, host: HOST, ...extra });
  open.push(s);
  const { port } = await s.start();
  return { s, port };
}

async function get(port: number, path: string, method = 'GET') {
  const res = await fetch(`http://${HOST}:${port}${path}`, { method, signal: AbortSignal.timeout(3_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text && res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as unknown) : undefined };
}

/** A GET on one keep-alive connection: the status and whether the request went on a reused socket. */
function viaAgent(agent: Agent, port: number, path: string): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether a connection to the port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path: '/healthz' }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    req.end();
  });
}

describe('createStartingServer', () => {
  it('is alive at /healthz while starting', async () => {
    const { port } = await starting();
    const r = await get(port, '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', state: 'starting' });
    expect((await get(port, '/healthz?probe=1')).status).toBe(200);
    expect((await get(port, '/healthz', 'HEAD')).status).toBe(200);
  });

  it('is not ready at /readyz, saying the phase, then where and why the last attempt failed', async () => {
    const { s, port } = await starting();
    expect(await get(port, '/readyz')).toMatchObject({
      status: 503,
      body: { error: { code: 'not_ready', message: `starting: ${DEFAULT_STARTING_PHASE}` }, state: 'starting', failed_attempts: 0 },
    });
    s.phase('connecting to NATS');
    expect((await get(port, '/readyz')).body).toMatchObject({ error: { message: 'starting: connecting to NATS' } });
    s.failed(Object.assign(new Error('CONNECTION_REFUSED'), { code: 'CONNECTION_REFUSED' }));
    expect((await get(port, '/readyz')).body).toEqual({
      error: { code: 'not_ready', message: 'starting: connecting to NATS failed (attempt 1): CONNECTION_REFUSED' },
      state: 'starting',
      failed_attempts: 1,
    });
    // The next attempt's phases do not hide why the last one failed.
    s.phase('connecting to NATS');
    s.phase('opening the KV buckets');
    s.failed(Object.assign(new Error('no answer'), { code: 'TIMEOUT' }));
    expect((await get(port, '/readyz')).body).toMatchObject({
      error: { message: 'starting: opening the KV buckets failed (attempt 2): TIMEOUT: no answer' },
      failed_attempts: 2,
    });
    s.failed('a string');
    expect((await get(port, '/readyz')).body).toMatchObject({ error: { message: 'starting: opening the KV buckets failed (attempt 3): a string' } });
  });

  it('watches an attempt: a failure is counted and described, then passed on', async () => {
    const { s, port } = await starting({ phase: 'connecting to NATS' });
    await expect(s.watch(Promise.resolve(42))).resolves.toBe(42);
    const err = new Error('CONNECTION_REFUSED');
    await expect(s.watch(Promise.reject(err))).rejects.toBe(err);
    expect((await get(port, '/readyz')).body).toMatchObject({
      error: { message: 'starting: connecting to NATS failed (attempt 1): CONNECTION_REFUSED' },
      failed_attempts: 1,
    });
  });

  it('exposes a starting gauge and a counter of failed attempts at /metrics', async () => {
    const { s, port } = await starting();
    const before = await get(port, '/metrics');
    expect(before.status).toBe(200);
    expect(before.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(before.text).toMatch(/^# TYPE pulse_aggregator_starting gauge$/m);
    expect(before.text).toMatch(/^pulse_aggregator_starting 1$/m);
    expect(before.text).toMatch(/^# TYPE pulse_aggregator_start_attempts_failed_total counter$/m);
    expect(before.text).toMatch(/^pulse_aggregator_start_attempts_failed_total 0$/m);
    s.failed(new Error('x'));
    s.failed(new Error('y'));
    expect((await get(port, '/metrics')).text).toMatch(/^pulse_aggregator_start_attempts_failed_total 2$/m);
  });

  it('answers every other path and method 503 `starting` with Retry-After', async () => {
    const { port } = await starting({ retryAfterSec: 7 });
    for (const [path, method] of [['/v1/query', 'POST'], ['/', 'GET'], ['/healthz', 'POST'], ['/readyz', 'DELETE']] as const) {
      const r = await get(port, path, method);
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(r.headers.get('retry-after')).toBe('7');
      expect(r.body).toEqual({ error: { code: 'starting', message: 'the aggregator is starting (starting: starting up); retry later' } });
    }
    const { port: p2 } = await starting();
    expect((await get(p2, '/nope')).headers.get('retry-after')).toBe(String(DEFAULT_STARTING_RETRY_AFTER_SEC));
  });

  it('closes (the port refuses connections), and starts again after a close on the same port', async () => {
    const { s: first, port } = await starting();
    await first.close();
    const s = createStartingServer({ name: 'aggregator', metricsPrefix: 'pulse_aggregator', port, host: HOST });
    open.push(s);
    expect(await s.start()).toEqual({ port });
    s.failed(new Error('TIMEOUT'));
    await s.close();
    expect(await refused(port)).toBe(true);
    await s.close(); // twice: nothing to do
    expect(await s.start()).toEqual({ port });
    expect((await get(port, '/healthz')).status).toBe(200);
    // What it knew survives the close.
    expect((await get(port, '/readyz')).body).toMatchObject({ failed_attempts: 1 });
    await expect(s.start()).rejects.toThrow(/already listening/);
    const other = createStartingServer({ name: 'aggregator', metricsPrefix: 'pulse_aggregator', port, host: HOST });
    await expect(other.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('hands its listening server over: the new listener answers on the same port, keep-alive connections included', async () => {
    const { s, port } = await starting();
    expect((await get(port, '/healthz')).body).toEqual({ status: 'ok', state: 'starting' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await viaAgent(agent, port, '/readyz')).toEqual({ status: 503, reused: false });
    const server = await serve(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok","state":"running"}');
      },
      { port: 1, host: '192.0.2.1', takeOver: s },
    );
    // The socket taken over, not the port and host asked for (nothing was bound anew).
    expect((server.address() as { port: number }).port).toBe(port);
    expect((await get(port, '/healthz')).body).toEqual({ status: 'ok', state: 'running' });
    expect((await get(port, '/anything')).status).toBe(200);
    // The connection opened while starting is answered by the new listener.
    expect(await viaAgent(agent, port, '/readyz')).toEqual({ status: 200, reused: true });
    agent.destroy();
    expect(() => s.handOver()).toThrow(/not listening/);
    // Handed over: close() leaves it to its new owner.
    await s.close();
    expect((await get(port, '/healthz')).status).toBe(200);
    await new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    });
    expect(await refused(port)).toBe(true);
  });

  it('serve() without a server to take over listens anew, with the options given, and rejects a port in use', async () => {
    const server = await serve(
      (_req, res) => {
        res.writeHead(204);
        res.end();
      },
      { port: 0, host: HOST, serverOptions: { headersTimeout: 4_321 } },
    );
    const { port } = server.address() as { port: number };
    expect(server.headersTimeout).toBe(4_321);
    expect((await get(port, '/x')).status).toBe(204);
    await expect(serve(() => undefined, { port, host: HOST })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((ok) => server.close(() => ok()));
  });
});
