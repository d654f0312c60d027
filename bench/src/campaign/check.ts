import type { HostileRequest } from './request.js';

/** What came back for one hostile request. */
export interface Outcome {
  status: number;
  /** `error.code` of a JSON error body; `-` when there is none. */
  code: string;
  /** A 4xx whose body is `{error:{code,message}}` (strings). */
  jsonError: boolean;
  /** Set when no HTTP answer arrived (reset, timeout): the reason. */
  transportError?: string;
}

export type Verdict =
  | { ok: true }
  | { ok: false; kind: 'server_error' | 'overloaded_503' | 'not_json_error' | 'parser_plain_4xx' | 'unexpected_accept' | 'unexpected_status' | 'no_response' };

/**
 * Statuses an HTTP server library sends by itself, before the application sees the request (header
 * block or request line over its limit): reported apart, since no handler of ours can shape that body.
 */
export const PARSER_STATUSES: ReadonlySet<number> = new Set([414, 431]);

export function parseErrorBody(text: string): { code: string; jsonError: boolean } {
  try {
    const v = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const e = v?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return { code: e.code, jsonError: true };
    return { code: '-', jsonError: false };
  } catch {
    return { code: '-', jsonError: false };
  }
}

/** Families whose bodies exceed the limit: a server may answer 413 and close before reading them all. */
const MAY_CLOSE_EARLY = new Set(['oversize_body', 'oversize_batch', 'deep_nesting', 'oversize_field']);

/**
 * The campaign's rules: no 5xx (503 is told apart: allowed only as genuine overload, reported),
 * every refusal a 4xx with a JSON error body, 2xx only where a hostile input may legitimately pass.
 */
export function judge(req: HostileRequest, o: Outcome): Verdict {
  if (o.transportError !== undefined) return MAY_CLOSE_EARLY.has(req.family) ? { ok: true } : { ok: false, kind: 'no_response' };
  if (o.status === 503) return { ok: false, kind: 'overloaded_503' };
  if (o.status >= 500) return { ok: false, kind: 'server_error' };
  if (o.status >= 200 && o.status < 300) return req.mayAccept ? { ok: true } : { ok: false, kind: 'unexpected_accept' };
  if (o.status >= 400 && o.status < 500) {
    if (o.jsonError || req.method === 'HEAD') return { ok: true };
    return { ok: false, kind: PARSER_STATUSES.has(o.status) ? 'parser_plain_4xx' : 'not_json_error' };
  }
  return { ok: false, kind: 'unexpected_status' };
}

/** A finding must be replayable: method, path, headers and the body (UTF-8 when printable, else base64). */
export function describe(req: HostileRequest, maxBody = 400): Record<string, unknown> {
  const body = req.body;
  let shown: string | undefined;
  if (body) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, maxBody));
    const printable = !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text);
    shown = printable ? text : `base64:${Buffer.from(body.subarray(0, maxBody)).toString('base64')}`;
  }
  const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…(${s.length} chars)` : s);
  return {
    target: req.target,
    family: req.family,
    method: req.method,
    path: clip(req.path),
    headers: req.headers.map(([k, v]) => [k, clip(v)]),
    ...(body ? { bodyBytes: body.length, body: shown } : {}),
  };
}
