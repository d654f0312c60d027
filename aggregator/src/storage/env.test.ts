import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { clickhouseFromEnv } from './env.js';

describe('clickhouseFromEnv', () => {
  it('defaults to embedded chDB under DATA_DIR, one node', () => {
    expect(clickhouseFromEnv({})).toEqual({ storage: { path: resolve('./data', 'clickhouse') }, layout: {} });
    expect(clickhouseFromEnv({ DATA_DIR: '/srv/pulse' })).toEqual({ storage: { path: '/srv/pulse/clickhouse' }, layout: {} });
  });

  it('reads a server, its credentials and a sharded cluster layout', () => {
    const got = clickhouseFromEnv({
      CLICKHOUSE_URL: 'http://ch:8123',
      CLICKHOUSE_USER: 'pulse',
      CLICKHOUSE_PASSWORD: 'secret',
      CLICKHOUSE_DATABASE: 'analytics',
      CLICKHOUSE_CLUSTER: 'pulse',
      CLICKHOUSE_SHARDED: 'true',
    });
    expect(got).toEqual({
      storage: { url: 'http://ch:8123', username: 'pulse', password: 'secret', database: 'analytics', sharded: true },
      layout: { cluster: 'pulse', sharded: true, database: 'analytics' },
    });
    expect(clickhouseFromEnv({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'pulse', CLICKHOUSE_SHARDED: '0' }).layout).toEqual({ cluster: 'pulse' });
  });

  it('fails fast, naming the variable, on a layout it cannot give', () => {
    const name = (env: Record<string, string>) => {
      try {
        clickhouseFromEnv(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).field;
      }
      return undefined;
    };
    expect(name({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_SHARDED: 'true' })).toBe('CLICKHOUSE_SHARDED');
    expect(name({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'pulse', CLICKHOUSE_SHARDED: 'yes' })).toBe('CLICKHOUSE_SHARDED');
    expect(name({ CLICKHOUSE_CLUSTER: 'pulse' })).toBe('CLICKHOUSE_CLUSTER');
  });
});
