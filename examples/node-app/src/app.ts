import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Analytics } from '@pulse/sdk-node';

export interface AppOptions {
  analytics: Analytics;
  port: number;
  host: string;
  /** Public origin of the shop, used to build page-view URLs. */
  publicUrl: string;
}

export interface App {
  start(): Promise<{ port: number }>;
  /** Stops taking requests; the caller then closes analytics. */
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body_too_large', `body over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(400, 'invalid_json', 'body must be a JSON object');
}

/** The visitor cookie the shop sets; page views carry it as visitor_id. */
function visitorOf(req: IncomingMessage, res: ServerResponse): string {
  const m = /(?:^|;\s*)vid=([\w-]{1,64})/.exec(req.headers.cookie ?? '');
  if (m?.[1]) return m[1];
  const vid = randomUUID();
  res.setHeader('set-cookie', `vid=${vid}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`);
  return vid;
}

/**
 * A tiny shop backend: it serves pages and takes signups and checkouts, and reports
 * each as a Pulse event from the server side.
 */
export function createApp(o: AppOptions): App {
  const { analytics } = o;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', o.publicUrl);
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });

    if (req.method === 'GET' && (url.pathname === '/' || url.pathname.startsWith('/products/'))) {
      const title = url.pathname === '/' ? 'Home' : `Product ${url.pathname.slice('/products/'.length)}`;
      analytics.pageview({
        url: url.href,
        title,
        visitor_id: visitorOf(req, res),
        ...(req.headers.referer ? { referrer: req.headers.referer } : {}),
        ...(req.headers['accept-language'] ? { lang: req.headers['accept-language'].split(',')[0]! } : {}),
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
    }

    if (req.method === 'POST' && url.pathname === '/signup') {
      const body = await readJson(req);
      if (typeof body.email !== 'string' || !body.email.includes('@')) throw new HttpError(400, 'invalid_email', 'email is required');
      const plan = typeof body.plan === 'string' ? body.plan : 'free';
      const userId = `u_${randomUUID()}`;
      const eventId = analytics.track({ name: 'signup', user_id: userId, url: url.href, props: { plan } });
      return send(res, 201, { user_id: userId, event_id: eventId });
    }

    if (req.method === 'POST' && url.pathname === '/checkout') {
      const body = await readJson(req);
      const { user_id: userId, amount, currency, order_id: orderId } = body;
      if (typeof userId !== 'string' || typeof orderId !== 'string') throw new HttpError(400, 'invalid_order', 'user_id and order_id are required');
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) throw new HttpError(400, 'invalid_amount', 'amount must be a number ≥ 0');
      if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw new HttpError(400, 'invalid_currency', 'currency must be an ISO 4217 code');
      // The order id as the event id: a checkout retried by the client is counted once.
      analytics.track({ id: `order-${orderId}`, name: 'purchase', user_id: userId, revenue: { amount, currency }, props: { order_id: orderId } });
      return send(res, 201, { ok: true });
    }

    throw new HttpError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal error');
      if (!res.headersSent) send(res, err.status, { error: { code: err.code, message: err.message } });
      else res.end();
    });
  });

  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => resolve({ port: (server.address() as AddressInfo).port }));
      }),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
