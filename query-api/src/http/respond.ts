import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestError, HttpError } from '../errors.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends a ready JSON text or its UTF-8 bytes (cached answers keep their exact bytes, so their ETag stays valid). */
export function sendJsonText(res: ServerResponse, status: number, text: string | Buffer, headers: Record<string, string> = {}): void {
  const length = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': length, ...headers });
  res.end(text);
}

/** Sends ready bytes whose type is among `headers` (a cached answer's CSV). */
export function sendBytes(res: ServerResponse, status: number, bytes: Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-length': bytes.length, ...headers });
  res.end(bytes);
}

export function sendError(res: ServerResponse, err: HttpError, extraHeaders: Record<string, string> = {}): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } }, { ...extraHeaders, ...err.headers });
}

/**
 * The whole body, at most `maxBytes`. Listeners, not `for await`: the async iterator's promises and
 * stream machinery were ~5 % of a cached answer's CPU (profile of the query benchmark's server).
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onClosed);
      req.off('close', onClosed);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // The rest of the body is discarded; the answer still goes out on this connection.
        req.resume();
        settle(new HttpError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined);
    // The client went away mid-body: nobody gets an answer, and it is not our failure.
    const onClosed = (err?: Error): void =>
      settle(new HttpError(499, 'client_closed_request', 'the client closed the connection before sending the whole body', { cause: err }));
    if (req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    // Gone before the handler got here (while it checked the key): 'close' has already fired.
    if (req.destroyed) {
      onClosed(req.errored ?? undefined);
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClosed);
    req.on('close', onClosed);
  });
}

/** Reads and parses a JSON body of at most `maxBytes`; an empty body is `{}`. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new HttpError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`);
  const text = (await readBody(req, maxBytes)).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('', 'body is not valid JSON', 'invalid_json');
  }
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}
