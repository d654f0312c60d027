import { describe, expect, it } from 'vitest';
import { coreConfig } from './core-config.js';
import { ClusterConfigError } from './errors.js';

const TOKEN = 'core-config-admin-token-0123456789';

describe('coreConfig', () => {
  it('fills the defaults: chDB in DATA_DIR, two aggregators, R1', () => {
    const c = coreConfig({ ADMIN_TOKEN: TOKEN, DATA_DIR: '/tmp/d' });
    expect(c).toMatchObject({
      natsServers: ['nats://127.0.0.1:4222'],
      streamReplicas: 1,
      kvReplicas: 1,
      queryPort: 8081,
      aggregatorPorts: [8082, 8083],
      storage: { path: '/tmp/d/clickhouse' },
    });
    const r3 = coreConfig({ ADMIN_TOKEN: TOKEN, STREAM_REPLICAS: '3', NATS_URL: 'nats://a:1,nats://b:2', CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_USER: 'u' });
    expect(r3).toMatchObject({ streamReplicas: 3, kvReplicas: 3, natsServers: ['nats://a:1', 'nats://b:2'], storage: { url: 'http://ch:8123', username: 'u' } });
  });

  it('names the variable that is wrong', () => {
    const field = (env: Record<string, string>) => {
      try {
        coreConfig({ ADMIN_TOKEN: TOKEN, ...env });
      } catch (err) {
        expect(err).toBeInstanceOf(ClusterConfigError);
        return (err as ClusterConfigError).field;
      }
      return undefined;
    };
    expect(field({ ADMIN_TOKEN: '' })).toBe('ADMIN_TOKEN');
    expect(field({ ADMIN_TOKEN: 'short' })).toBe('ADMIN_TOKEN');
    expect(field({ AGGREGATOR_PORTS: '8082,x' })).toBe('AGGREGATOR_PORTS');
    expect(field({ AGGREGATOR_PORTS: '70000' })).toBe('AGGREGATOR_PORTS');
    expect(field({ QUERY_PORT: '-1' })).toBe('QUERY_PORT');
    expect(field({ STREAM_REPLICAS: '0' })).toBe('STREAM_REPLICAS');
    expect(field({ NATS_KV_REPLICAS: 'three' })).toBe('NATS_KV_REPLICAS');
    expect(field({ NATS_URL: 'http://x/y' })).toBe('NATS_URL');
    expect(field({})).toBeUndefined();
  });
});
