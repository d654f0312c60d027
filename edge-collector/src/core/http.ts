import { BodyError } from '@pulse/protocol';
import type { CoreResponse } from './types.js';

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const STATUS_LINES = new Map(Object.entries(STATUS_TEXT).map(([code, text]) => [Number(code), `${code} ${text}`]));

export function statusLine(status: number): string {
  return STATUS_LINES.get(status) ?? `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function json(status: number, value: unknown, headers: Record<string, string> = {}): CoreResponse {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store', ...headers }, body: JSON.stringify(value) };
}

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): CoreResponse {
  return json(status, { error: { code, message } }, headers);
}

/**
 * Write keys are public (they sit in page source) and no cookies are read, so
 * any origin may post; the key, not the origin, says which site it is.
 */
export function corsHeaders(maxAgeSec: number, preflight: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'Retry-After',
  };
  if (preflight) {
    h['access-control-allow-methods'] = 'POST, GET, OPTIONS';
    // analytics.js sends its key as Basic credentials, and X-Retry-Count when it sends a call again.
    h['access-control-allow-headers'] = 'Authorization, Content-Type, X-Retry-Count';
    h['access-control-max-age'] = String(maxAgeSec);
  }
  return h;
}

/** A body that cannot be read is the client's fault, whatever a hostile one provokes (RangeError from deep nesting, …). */
export function bodyErrorResponse(e: unknown): CoreResponse {
  const err = e instanceof BodyError ? e : new BodyError('not_a_batch', `body could not be read: ${(e as Error)?.message ?? String(e)}`);
  return errorResponse(err.status, err.code, err.message);
}
