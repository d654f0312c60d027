import { parseErrorBody, type Outcome } from './check.js';
import type { HostileRequest } from './request.js';

export const REQUEST_TIMEOUT_MS = 20_000;

/** Thrown by fetch itself for a header it will not put on the wire: the request never left. */
export class ClientRefusedError extends Error {
  readonly code = 'client_refused';
  constructor(cause: unknown) {
    super(`fetch refused the request: ${String(cause)}`, { cause });
    this.name = 'ClientRefusedError';
  }
}

function headersOf(req: HostileRequest): Headers {
  try {
    const h = new Headers();
    for (const [k, v] of req.headers) h.append(k, v);
    return h;
  } catch (err) {
    throw new ClientRefusedError(err);
  }
}

export async function send(baseUrl: string, req: HostileRequest): Promise<Outcome> {
  const headers = headersOf(req);
  let res: Response;
  try {
    res = await fetch(baseUrl + req.path, {
      method: req.method,
      headers,
      ...(req.body ? { body: req.body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: 'manual',
    });
  } catch (err) {
    if (err instanceof TypeError && !(err.cause instanceof Error)) throw new ClientRefusedError(err);
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { status: 0, code: '-', jsonError: false, transportError: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) };
  }
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    return { status: res.status, code: '-', jsonError: false, transportError: `body: ${String(err)}` };
  }
  if (res.status < 400) return { status: res.status, code: '-', jsonError: false };
  return { status: res.status, ...parseErrorBody(text) };
}
