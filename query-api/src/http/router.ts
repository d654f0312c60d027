import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Decoded path segments captured by `:name` patterns. */
  params: Record<string, string>;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  /** Low-cardinality label for metrics (`/v1/admin/sites/:site_id`). */
  pattern: string;
  handler: Handler;
}

export type Match = { handler: Handler; pattern: string; params: Record<string, string> } | { methodNotAllowed: string[] } | null;

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), pattern, handler });
    return this;
  }

  match(method: string, pathname: string): Match {
    const segs = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const part = r.parts[i] as string;
        const seg = segs[i] as string;
        if (part.startsWith(':')) {
          try {
            params[part.slice(1)] = decodeURIComponent(seg);
          } catch {
            ok = false;
          }
        } else ok = part === seg;
      }
      if (!ok) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { handler: r.handler, pattern: r.pattern, params };
      allowed.push(r.method);
    }
    return allowed.length > 0 ? { methodNotAllowed: allowed } : null;
  }
}
