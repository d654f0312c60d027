import { describe, expect, it } from 'vitest';
import { QueryTimeoutError, UnavailableError } from './errors.js';
import { mapStorageError } from './storage.js';

const fail = (err: unknown) => {
  try {
    mapStorageError(err);
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('mapStorageError', () => {
  it('turns timeouts into 504, missing schema and transport trouble into 503, and re-throws the rest', () => {
    const timeout = Object.assign(new Error('query failed: Timeout exceeded: elapsed 10.1 seconds'), { retryable: true });
    expect(fail(timeout)).toBeInstanceOf(QueryTimeoutError);
    expect(fail(new Error('x', { cause: { code: 'TIMEOUT_EXCEEDED', message: 'y' } }))).toBeInstanceOf(QueryTimeoutError);
    expect(fail(new Error("Table default.events doesn't exist. (UNKNOWN_TABLE)"))).toBeInstanceOf(UnavailableError);
    expect(fail(Object.assign(new Error('ECONNREFUSED'), { retryable: true }))).toBeInstanceOf(UnavailableError);
    expect(fail(new Error("Cannot load time zone Foo/Bar: (CANNOT_LOAD_TIME_ZONE)"))).toMatchObject({ status: 400, field: 'timezone' });
    const bug = Object.assign(new Error('Syntax error'), { retryable: false });
    expect(fail(bug)).toBe(bug);
  });
});
