import { ErrorCode, NatsError } from 'nats';
import { describe, expect, it } from 'vitest';
import { HttpError, NotFoundError, toHttpError } from './errors.js';

describe('toHttpError', () => {
  it('keeps an HttpError as it is', () => {
    const e = new NotFoundError('site');
    expect(toHttpError(e)).toBe(e);
  });

  it('answers 503 with Retry-After when NATS timed out or is gone, also when wrapped', () => {
    for (const code of [ErrorCode.Timeout, ErrorCode.ConnectionClosed, ErrorCode.Disconnect, ErrorCode.ConnectionRefused]) {
      const http = toHttpError(new NatsError(code, code));
      expect(http.status).toBe(503);
      expect(http.code).toBe('unavailable');
      expect(http.headers['retry-after']).toBe('1');
    }
    const wrapped = new Error('kv get failed', { cause: new NatsError('TIMEOUT', ErrorCode.Timeout) });
    expect(toHttpError(wrapped).status).toBe(503);
  });

  it('answers 500 for anything else, NATS errors about the request included', () => {
    expect(toHttpError(new Error('boom')).status).toBe(500);
    expect(toHttpError(new NatsError('bad subject', ErrorCode.BadSubject))).toBeInstanceOf(HttpError);
    expect(toHttpError(new NatsError('bad subject', ErrorCode.BadSubject)).status).toBe(500);
  });
});
