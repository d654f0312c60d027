import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { aggregatorMainConfig } from './main-config.js';

describe('aggregatorMainConfig', () => {
  it('fills the defaults: a local NATS, chDB in DATA_DIR, port 8082, R1, raw events kept', () => {
    expect(aggregatorMainConfig({ DATA_DIR: '/tmp/d' })).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      clickhouse: { storage: { path: '/tmp/d/clickhouse' }, layout: {} },
      port: 8082,
      host: '0.0.0.0',
      streamReplicas: 1,
      eventsTtlDays: undefined,
    });
    const c = aggregatorMainConfig({
      NATS_URL: 'nats://a:4222,nats://b:4222',
      CLICKHOUSE_URL: 'http://ch:8123',
      CLICKHOUSE_CLUSTER: 'pulse',
      AGGREGATOR_PORT: '9000',
      AGGREGATOR_HOST: '127.0.0.1',
      STREAM_REPLICAS: '3',
      EVENTS_TTL_DAYS: '400',
    });
    expect(c).toMatchObject({ natsServers: ['nats://a:4222', 'nats://b:4222'], port: 9000, host: '127.0.0.1', streamReplicas: 3, eventsTtlDays: 400 });
    expect(c.clickhouse).toEqual({ storage: { url: 'http://ch:8123' }, layout: { cluster: 'pulse' } });
  });

  it('names the variable that is wrong', () => {
    const field = (env: Record<string, string>) => {
      try {
        aggregatorMainConfig(env);
      } catch (err) {
        expect((err as ConfigError).code).toBe('invalid_config');
        return (err as ConfigError).field;
      }
      return undefined;
    };
    expect(field({ NATS_URL: 'http://x/y' })).toBe('NATS_URL');
    expect(field({ AGGREGATOR_PORT: 'eighty' })).toBe('AGGREGATOR_PORT');
    expect(field({ AGGREGATOR_PORT: '70000' })).toBe('AGGREGATOR_PORT');
    expect(field({ STREAM_REPLICAS: '0' })).toBe('STREAM_REPLICAS');
    expect(field({ STREAM_REPLICAS: '2.5' })).toBe('STREAM_REPLICAS');
    expect(field({ EVENTS_TTL_DAYS: '0' })).toBe('EVENTS_TTL_DAYS');
    expect(field({ CLICKHOUSE_SHARDED: 'yes' })).toBe('CLICKHOUSE_SHARDED');
    expect(field({ CLICKHOUSE_CLUSTER: 'pulse' })).toBe('CLICKHOUSE_CLUSTER');
    expect(field({})).toBeUndefined();
  });
});
