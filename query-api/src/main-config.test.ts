import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { MAX_RATE_LIMIT_PER_SEC, MAX_TENANCY_STALE_MAX_MS, queryApiMainConfig, rateLimitFromEnv } from './main-config.js';

const TOKEN = 'main-config-admin-token-0123456789';

describe('queryApiMainConfig', () => {
  it('fills the defaults: a local NATS, chDB in DATA_DIR, port 8081', () => {
    expect(queryApiMainConfig({ ADMIN_TOKEN: TOKEN, DATA_DIR: '/tmp/d' })).toEqual({
      adminToken: TOKEN,
      natsServers: ['nats://127.0.0.1:4222'],
      clickhouse: { storage: { path: '/tmp/d/clickhouse' }, layout: {} },
      port: 8081,
      host: '0.0.0.0',
      staticDir: undefined,
      kvReplicas: undefined,
      tenancyStaleMaxMs: undefined,
      rateLimit: undefined,
    });
    expect(
      queryApiMainConfig({ ADMIN_TOKEN: TOKEN, NATS_URL: 'nats://a:1,nats://b:2', QUERY_PORT: '9001', QUERY_HOST: '127.0.0.1', NATS_KV_REPLICAS: '3', STATIC_DIR: '/srv/d', CLICKHOUSE_URL: 'http://ch:8123' }),
    ).toMatchObject({ natsServers: ['nats://a:1', 'nats://b:2'], port: 9001, host: '127.0.0.1', kvReplicas: 3, staticDir: '/srv/d', clickhouse: { storage: { url: 'http://ch:8123' } } });
  });

  it('reads QUERY_TENANCY_STALE_MAX_MS: the stale-tenancy window in ms, 0 to a day', () => {
    const window = (v: string) => queryApiMainConfig({ ADMIN_TOKEN: TOKEN, QUERY_TENANCY_STALE_MAX_MS: v }).tenancyStaleMaxMs;
    expect(window('120000')).toBe(120_000);
    expect(window('0')).toBe(0);
    expect(window(String(MAX_TENANCY_STALE_MAX_MS))).toBe(MAX_TENANCY_STALE_MAX_MS);
    expect(window('')).toBeUndefined();
    for (const bad of ['ten minutes', '-1', '1.5', String(MAX_TENANCY_STALE_MAX_MS + 1)]) {
      expect(() => window(bad), bad).toThrow(/^QUERY_TENANCY_STALE_MAX_MS: must be an integer from 0 to 86400000/);
      try {
        window(bad);
      } catch (err) {
        expect(err).toMatchObject({ code: 'invalid_config', field: 'QUERY_TENANCY_STALE_MAX_MS' });
      }
    }
  });

  it('reads QUERY_RATE_LIMIT_PER_SEC and QUERY_RATE_LIMIT_BURST: each read key\'s bucket, either alone', () => {
    expect(queryApiMainConfig({ ADMIN_TOKEN: TOKEN, QUERY_RATE_LIMIT_PER_SEC: '50', QUERY_RATE_LIMIT_BURST: '400' }).rateLimit).toEqual({ perSecond: 50, burst: 400 });
    expect(rateLimitFromEnv({ QUERY_RATE_LIMIT_BURST: '400' })).toEqual({ burst: 400 });
    expect(rateLimitFromEnv({ QUERY_RATE_LIMIT_PER_SEC: String(MAX_RATE_LIMIT_PER_SEC) })).toEqual({ perSecond: MAX_RATE_LIMIT_PER_SEC });
    expect(rateLimitFromEnv({ QUERY_RATE_LIMIT_PER_SEC: '' })).toBeUndefined();
    for (const [name, bad] of [['QUERY_RATE_LIMIT_PER_SEC', '0'], ['QUERY_RATE_LIMIT_PER_SEC', '2.5'], ['QUERY_RATE_LIMIT_BURST', 'lots'], ['QUERY_RATE_LIMIT_PER_SEC', String(MAX_RATE_LIMIT_PER_SEC + 1)]] as const) {
      expect(() => rateLimitFromEnv({ [name]: bad }), `${name}=${bad}`).toThrow(new RegExp(`^${name}: must be an integer from 1 to`));
    }
  });

  it('names the variable that is wrong', () => {
    const field = (env: Record<string, string>) => {
      try {
        queryApiMainConfig({ ADMIN_TOKEN: TOKEN, ...env });
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect((err as ConfigError).code).toBe('invalid_config');
        return (err as ConfigError).field;
      }
      return undefined;
    };
    expect(field({ ADMIN_TOKEN: '' })).toBe('ADMIN_TOKEN');
    expect(field({ ADMIN_TOKEN: 'short' })).toBe('ADMIN_TOKEN');
    expect(field({ ADMIN_TOKEN: 'has a space in it, long enough' })).toBe('ADMIN_TOKEN');
    expect(field({ NATS_URL: 'http://x/y' })).toBe('NATS_URL');
    expect(field({ QUERY_PORT: 'x' })).toBe('QUERY_PORT');
    expect(field({ QUERY_PORT: '65536' })).toBe('QUERY_PORT');
    expect(field({ NATS_KV_REPLICAS: 'three' })).toBe('NATS_KV_REPLICAS');
    expect(field({ QUERY_TENANCY_STALE_MAX_MS: '10m' })).toBe('QUERY_TENANCY_STALE_MAX_MS');
    // The aggregator's reading of CLICKHOUSE_*, shared by every service.
    expect(field({ CLICKHOUSE_SHARDED: 'true', CLICKHOUSE_URL: 'http://ch:8123' })).toBe('CLICKHOUSE_SHARDED');
    expect(field({})).toBeUndefined();
  });
});
