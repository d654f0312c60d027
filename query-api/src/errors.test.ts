import { ErrorCode, NatsError } from 'nats';
import { describe, expect, it } from 'vitest';
import { HttpError, KeyStoreUnavailableError, NotAcceptableError, NotFoundError, isNatsUnavailable, toHttpError } from './errors.js';

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

  it('knows NATS out of reach from a request NATS refused, through causes and its own timeout', () => {
    expect(isNatsUnavailable(new Error('lookup', { cause: new NatsError('TIMEOUT', ErrorCode.Timeout) }))).toBe(true);
    expect(isNatsUnavailable(new KeyStoreUnavailableError())).toBe(true);
    expect(isNatsUnavailable(new NatsError('bad subject', ErrorCode.BadSubject))).toBe(false);
    expect(isNatsUnavailable(new Error('boom'))).toBe(false);
    const e = toHttpError(new KeyStoreUnavailableError());
    expect([e.status, e.code, e.headers['retry-after']]).toEqual([503, 'unavailable', '1']);
  });

  it('answers 500 for anything else, NATS errors about the request included', () => {
    expect(toHttpError(new Error('boom')).status).toBe(500);
    expect(toHttpError(new NatsError('bad subject', ErrorCode.BadSubject))).toBeInstanceOf(HttpError);
    expect(toHttpError(new NatsError('bad subject', ErrorCode.BadSubject)).status).toBe(500);
  });
});

describe('NotAcceptableError', () => {
  it('is a 406 not_acceptable naming what was asked and what is available, with the given headers', () => {
    const e = new NotAcceptableError('application/xml', ['application/json', 'text/csv'], { vary: 'Accept' });
    expect([e.status, e.code, e.message, e.headers]).toEqual([
      406,
      'not_acceptable',
      'cannot answer in a type the Accept header allows (application/xml); available: application/json, text/csv',
      { vary: 'Accept' },
    ]);
    expect(toHttpError(e)).toBe(e);
    expect(new NotAcceptableError('x'.repeat(500), ['text/csv']).message).toContain(`(${'x'.repeat(200)}…)`);
  });
});
