import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueryApiUnreachableError, ReplayTargetError } from '../errors.js';
import { queryApiUnreachable, replayTarget, tokenHint, type QueryApiTarget } from './cli-target.js';

const noFile = (): undefined => undefined;
const file = (token: string) => (path: string) => (path === 'data/admin-token' ? `${token}\n` : undefined);

function refusal(env: Record<string, string>, read: (path: string) => string | undefined = noFile): ReplayTargetError {
  try {
    replayTarget(env, read);
  } catch (err) {
    if (err instanceof ReplayTargetError) return err;
    throw err;
  }
  throw new Error(`replayTarget(${JSON.stringify(env)}) chose a target`);
}

describe('replayTarget', () => {
  it('takes QUERY_URL and ADMIN_TOKEN as given, whatever else is set', () => {
    expect(replayTarget({ QUERY_URL: 'http://q:1', ADMIN_TOKEN: 't', NATS_URL: 'nats://n:1' }, noFile)).toEqual({
      kind: 'query-api',
      url: 'http://q:1',
      token: 't',
      urlFrom: 'QUERY_URL',
      tokenFrom: 'ADMIN_TOKEN',
    });
  });

  it("uses the embedded system's query API with ADMIN_TOKEN alone (npm start writes no token file then)", () => {
    expect(replayTarget({ ADMIN_TOKEN: 'supplied', QUERY_PORT: '18281' }, noFile)).toMatchObject({
      kind: 'query-api',
      url: 'http://127.0.0.1:18281',
      token: 'supplied',
      urlFrom: 'QUERY_PORT',
    });
  });

  it('reads the token npm start generated from DATA_DIR, and says where it came from', () => {
    expect(replayTarget({ DATA_DIR: 'data' }, file('generated'))).toEqual({
      kind: 'query-api',
      url: 'http://127.0.0.1:8081',
      token: 'generated',
      urlFrom: 'QUERY_PORT',
      tokenFrom: resolve('data', 'admin-token'),
    });
    expect(replayTarget({ DATA_DIR: 'data', QUERY_URL: 'http://q:2' }, file('generated'))).toMatchObject({ url: 'http://q:2', urlFrom: 'QUERY_URL' });
    // CLICKHOUSE_URL alone does not make a direct replay (it would need a NATS server it cannot guess).
    expect(replayTarget({ DATA_DIR: 'data', CLICKHOUSE_URL: 'http://c:1' }, file('generated'))).toMatchObject({ kind: 'query-api' });
  });

  it('replays directly only when NATS_URL names the NATS server', () => {
    expect(replayTarget({ NATS_URL: 'nats://n:1, nats://n:2', ADMIN_TOKEN: 't' }, file('x'))).toEqual({ kind: 'direct', natsServers: ['nats://n:1', 'nats://n:2'] });
    expect(replayTarget({ NATS_URL: 'nats://n:1', CLICKHOUSE_URL: 'http://c:1' }, noFile)).toEqual({ kind: 'direct', natsServers: ['nats://n:1'] });
  });

  it('never falls back to a direct replay: with no token and no NATS_URL it says what is missing', () => {
    const none = refusal({});
    expect(none.code).toBe('no_replay_target');
    expect(none.message).toContain(`no admin token in ${resolve('./data', 'admin-token')}`);
    expect(none.message).toContain('set the same ADMIN_TOKEN here');
    expect(none.message).toContain('NATS_URL is not set');
    expect(refusal({ DATA_DIR: '/srv/pulse', QUERY_PORT: '9000' }).message).toContain('no admin token in /srv/pulse/admin-token');
    expect(refusal({ QUERY_URL: 'http://q:1' }).message).toMatch(/^found no way to reach the data: QUERY_URL is set, but ADMIN_TOKEN is not set/);
    expect(refusal({ CLICKHOUSE_URL: 'http://c:1' }).message).toContain('CLICKHOUSE_URL alone is not enough');
    // An empty token file is no token.
    expect(refusal({ DATA_DIR: 'data' }, file('  ')).code).toBe('no_replay_target');
  });
});

describe('the query API errors', () => {
  const viaPort: QueryApiTarget = { kind: 'query-api', url: 'http://127.0.0.1:18281', token: 't', urlFrom: 'QUERY_PORT', tokenFrom: '/d/admin-token' };

  it('names the URL, the reason fetch hides in its cause, and what to set', () => {
    const cause = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18281'), { code: 'ECONNREFUSED' }) });
    const err = queryApiUnreachable(viaPort, cause);
    expect(err).toBeInstanceOf(QueryApiUnreachableError);
    expect(err).toMatchObject({ code: 'query_api_unreachable', url: 'http://127.0.0.1:18281' });
    expect(err.message).toBe(
      'could not reach the query API at http://127.0.0.1:18281 (ECONNREFUSED): is `npm start` running? If it runs with its own QUERY_PORT, set the same QUERY_PORT here (or QUERY_URL to its query API\'s address).',
    );
    expect(queryApiUnreachable({ ...viaPort, url: 'http://q:1', urlFrom: 'QUERY_URL' }, new Error('boom')).message).toBe(
      'could not reach the query API at http://q:1 (boom): is the query API running there? Check QUERY_URL.',
    );
  });

  it('says where a refused admin token came from', () => {
    expect(tokenHint(viaPort)).toContain('the admin token came from /d/admin-token');
    expect(tokenHint({ ...viaPort, tokenFrom: 'ADMIN_TOKEN' })).toContain('check ADMIN_TOKEN');
  });
});
