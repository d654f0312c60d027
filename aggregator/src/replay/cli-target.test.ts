import { describe, expect, it } from 'vitest';
import { queryApiTarget } from './cli-target.js';

const noFile = (): undefined => undefined;
const file = (token: string) => (path: string) => (path === 'data/admin-token' ? `${token}\n` : undefined);

describe('queryApiTarget', () => {
  it('takes QUERY_URL and ADMIN_TOKEN as given', () => {
    expect(queryApiTarget({ QUERY_URL: 'http://q:1', ADMIN_TOKEN: 't', NATS_URL: 'nats://n:1' }, noFile)).toEqual({ url: 'http://q:1', token: 't' });
  });

  it("uses the embedded system's query API with ADMIN_TOKEN alone (npm start writes no token file then)", () => {
    expect(queryApiTarget({ ADMIN_TOKEN: 'supplied', QUERY_PORT: '18281' }, noFile)).toEqual({ url: 'http://127.0.0.1:18281', token: 'supplied' });
  });

  it('reads the token npm start generated from DATA_DIR', () => {
    expect(queryApiTarget({ DATA_DIR: 'data' }, file('generated'))).toEqual({ url: 'http://127.0.0.1:8081', token: 'generated' });
  });

  it('runs the replay itself against explicit servers, or when there is no token at all', () => {
    expect(queryApiTarget({ NATS_URL: 'nats://n:1', ADMIN_TOKEN: 't' }, file('x'))).toBeUndefined();
    expect(queryApiTarget({ CLICKHOUSE_URL: 'http://c:1' }, file('x'))).toBeUndefined();
    expect(queryApiTarget({}, noFile)).toBeUndefined();
  });
});
